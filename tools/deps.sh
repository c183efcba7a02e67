#!/usr/bin/env bash
# Install what metafs needs to build and test on Debian (bookworm or later).
# Safe to run again; does nothing when everything is present.
set -euo pipefail
packages=(
  build-essential meson ninja-build pkg-config
  libfuse3-dev fuse3 liblmdb-dev lmdb-utils libxxhash-dev xxhash
  libcmocka-dev libinih-dev libjansson-dev libcurl4-openssl-dev libxgboost-dev
  libssl-dev passwd
  util-linux procps psmisc coreutils findutils python3 sqlite3 strace
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "metafs: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
