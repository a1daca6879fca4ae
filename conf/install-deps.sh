#!/bin/sh
# install-deps.sh: installs the Debian 12 packages billsync builds, runs and tests with.
# Idempotent and non-interactive; takes a second when everything is present.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libfcgi-dev libcurl4-openssl-dev libmariadb-dev mariadb-server mariadb-client libjansson-dev
clearsilver-dev libsodium-dev liboath-dev libqrencode-dev libcsv-dev libinih-dev libcmocka-dev
nginx python3 python3-pytest python3-requests python3-aiosmtpd python3-selenium
chromium chromium-driver wrk valgrind tzdata libfaketime faketime python3-pytest-xdist util-linux
galera-4 rsync"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: need root to apt-get install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or old on a fresh machine.
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
