#!/usr/bin/env bash
# Installs the Debian 12 packages protonfem needs to build, run and test.
# Runs apt-get only when something is missing; needs root (or sudo) then.
set -euo pipefail

PACKAGES=(
  cmake make g++ git
  libdeal.ii-dev libboost-test-dev openmpi-bin
  python3 python3-numpy python3-h5py python3-matplotlib python3-paraview
  gmsh xvfb xauth
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[protonfem] all required Debian packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "[protonfem] need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "[protonfem] installing: ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
