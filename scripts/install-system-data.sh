#!/usr/bin/env bash
# Installs the Debian packages whose files paperworks reads as real data (offline, no downloads at run time).
set -euo pipefail
# data sets: Fashion-MNIST IDX files, fortune-cookie text categories
DATA_PKGS=(dataset-fashion-mnist fortunes fortunes-min)
# the packages whose gettext catalogs (usr/share/locale/{de,fr}/LC_MESSAGES/*.mo) form the pinned EN-DE / EN-FR
# corpus (src/paperworks/data/translation.py, PINNED_CATALOGS); most are already on a Debian base image
CATALOG_PKGS=(adduser appstream apt at-spi2-common bash binutils-common coreutils diffutils dpkg findutils gettext
  gettext-base git gnupg-l10n grep gsettings-desktop-schemas krb5-locales libapt-pkg6.0 libavahi-common-data
  libc-l10n libdpkg-perl libelf1 libgdk-pixbuf2.0-common libglib2.0-data libgnutls30 libgstreamer1.0-0
  libgtk2.0-common libidn2-0 libpam-runtime libpq5 login make man-db packagekit polkitd postgresql-15
  postgresql-client-15 procps psmisc python-apt-common sed shared-mime-info software-properties-common systemd tar
  wget xdg-user-dirs xz-utils)
PKGS=("${DATA_PKGS[@]}" "${CATALOG_PKGS[@]}")
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
