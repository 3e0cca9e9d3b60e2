#!/usr/bin/env bash
# Installs the system packages Fangyuan's build and tests need, when they are missing.
# Debian 12; needs root for apt (prints the command otherwise).
set -euo pipefail
# chromium + a Chinese font + node drive the browser tests (playwright-core, no browser download)
pkgs=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting osm2pgrouting gdal-bin osmium-tool chromium fonts-wqy-zenhei nodejs
  fonts-droid-fallback fonts-dejavu-core zbar-tools poppler-utils librsvg2-bin # plate sheets (PDF fonts) and their tests
  coinor-cbc # the MILP solver the site-suggestion test checks maximal covering against (coverage/plan)
  python3-qgis # PyQGIS opens the OGC API collections headless (ogcapi TestQGIS); about 1 min to install
  wrk) # the load test (cmd/fangyuan TestLoadWrk) drives the server with wrk
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
