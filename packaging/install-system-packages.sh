#!/usr/bin/env bash
# Install the Debian packages Twinscape needs (X server for tests, Mesa GL, Qt's xcb libraries,
# GDAL tools) when they are missing. Needs root; without it, names what is missing and goes on.
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "twinscape setup: missing system packages (install them as root): ${missing[*]}" >&2
    exit 0
fi
echo "twinscape setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
