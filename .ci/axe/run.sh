#!/usr/bin/env bash
# Starts the service with the demo data on a scratch SQLite file, then runs
# axe-core in Debian's Chromium on VON's årsredovisning 2024 (seed 000) and
# on the kommun's compilation of helår 2024. Fails on any WCAG 2.1 A/AA
# violation. Needs: chromium (apt), node + npm, `cargo build` done.
set -euo pipefail
cd "$(dirname "$0")"
(cd . && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
bin=../../target/debug/kommunrapport
dir=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
DATABASE_URL="sqlite://$dir/axe.db?mode=rwc" BIND_ADDRESS="127.0.0.1:$port" AUTO_SEED_DEMO=true \
  LOG_FORMAT=text RUST_LOG=warn "$bin" serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
token=$("$bin" token --role kommunledning --kommun 0483)
auth="Authorization: Bearer $token"
# The demo is loaded when the VON årsredovisning is approved (it is decided last).
for _ in $(seq 1 120); do
  if curl -sf "$base/api/v1/reports?namnd=VON&type=arsredovisning" -H "$auth" 2>/dev/null | grep -q "\"status\":\"godkand\""; then
    break
  fi
  sleep 1
done
id_of() { curl -sf "$base$1" -H "$auth" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
report=$(id_of "/api/v1/reports?namnd=VON&type=arsredovisning")
period=$(id_of "/api/v1/periods?kind=helar&year=2024")
node check.mjs "$token" \
  "$base/api/v1/reports/$report/document" \
  "$base/api/v1/kommun/document?period_id=$period&type=arsredovisning"
