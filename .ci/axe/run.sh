#!/usr/bin/env bash
# Starts the service with the demo data on a scratch SQLite file, then runs
# axe-core in Debian's Chromium on VON's årsredovisning 2024 (seed 000) and
# on the kommun's compilation of helår 2024. Fails on any WCAG 2.1 A/AA
# violation. Needs: chromium (apt), node + npm, `cargo build` done.
set -euo pipefail
cd "$(dirname "$0")"
(cd . && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
dir=$(mktemp -d)
# shellcheck source=../demo-server.sh
source ../demo-server.sh
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
auth="Authorization: Bearer $token"
id_of() { curl -sf "$base$1" -H "$auth" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
report=$(id_of "/api/v1/reports?namnd=VON&type=arsredovisning")
period=$(id_of "/api/v1/periods?kind=helar&year=2024")
node check.mjs "$token" \
  "$base/api/v1/reports/$report/document" \
  "$base/api/v1/kommun/document?period_id=$period&type=arsredovisning"
