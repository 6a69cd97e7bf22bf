#!/usr/bin/env bash
# Installs the Debian packages whose files paperworks reads as real data (offline, no downloads at run time).
set -euo pipefail
PKGS=(dataset-fashion-mnist fortunes fortunes-min
      git coreutils libc-l10n gnupg-l10n postgresql-15 libglib2.0-data libgtk2.0-common dpkg bash grep tar iso-codes)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# locale files are often excluded by dpkg path filters in slim images
if [ -e /etc/dpkg/dpkg.cfg.d/docker ] && grep -q 'locale' /etc/dpkg/dpkg.cfg.d/docker 2>/dev/null; then
  echo "note: /etc/dpkg/dpkg.cfg.d/docker excludes locale files; gettext catalogs may be missing"
fi
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
