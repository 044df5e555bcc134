#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages fabkiosk needs, if any are missing: with apt-get as root, with sudo otherwise.
# Usage: scripts/system-packages.sh PACKAGE...
set -euo pipefail

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "fabkiosk: installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1; then
    run=(sudo)
else
    echo "fabkiosk: cannot install ${missing[*]}: not root and sudo is not available." >&2
    echo "          Install them as an administrator: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
install() { "${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; }
if ! install; then
    if ! "${run[@]}" apt-get update -q || ! install; then
        echo "fabkiosk: installing ${missing[*]} failed; see the apt-get messages above." >&2
        exit 1
    fi
fi
