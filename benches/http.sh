#!/usr/bin/env bash
# The read mix of issue 21 over HTTP, with wrk, against a release build of
# the service, and side by side in the same run the peers the ratios are
# taken against:
#   - the framework's ceiling here: GET /health/live;
#   - Datasette (PyPI, pinned) over the same SQLite file, serving the
#     grouped SQL behind a report's driftredovisning.
# Both databases: the demo on SQLite (a fresh file) and on PostgreSQL (a
# fresh database). Prints a Markdown table for BENCHMARKS.md.
#
#   CARGO_TARGET_DIR=target-rel cargo build --release --bin kommunrapport
#   BIN=target-rel/release/kommunrapport benches/http.sh
#
# Then, on PostgreSQL, the import of IMPORT_ROWS (default 1 000 000; 0
# skips it) flat CSV rows beside PostgreSQL's own COPY of the same rows
# (`kommunrapport bench-import`), with the ratios.
#
# Settings: DURATION (seconds per measurement, default 5), CONNECTIONS (the
# concurrent case, default 16), READ_CACHE_BYTES (passed to the service;
# 0 measures computing every answer), PG (admin URL, default
# postgres://postgres@127.0.0.1:5432/postgres; empty skips PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-target/release/kommunrapport}
duration=${DURATION:-5}
connections=${CONNECTIONS:-16}
pg_admin=${PG-postgres://postgres@127.0.0.1:5432/postgres}
datasette_version=0.65.1
venv=${BENCH_VENV:-target/bench-venv}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "no $bin: build it with cargo build --release" >&2; exit 1; }
if ! "$venv/bin/datasette" --version 2>/dev/null | grep -q "$datasette_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "datasette==$datasette_version"
fi

dir=$(mktemp -d)
pids=()
pg_db="kr_bench_http_$$"
import_db="kr_bench_import_$$"
import_rows=${IMPORT_ROWS:-1000000}
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pg_admin" ]; then
    psql "$pg_admin" -qc "drop database if exists $pg_db with (force)" >/dev/null 2>&1 || true
    psql "$pg_admin" -qc "drop database if exists $import_db with (force)" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 120); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "$1 never answered" >&2; exit 1; }

# serve <database url>: starts the service with the demo; prints its base URL.
serve() {
  local port; port=$(free_port)
  DATABASE_URL="$1" "$bin" seed-demo >/dev/null
  DATABASE_URL="$1" BIND_ADDRESS="127.0.0.1:$port" AUTO_SEED_DEMO=false RUST_LOG=warn \
    RATE_LIMIT_PER_MINUTE=0 PROCESS_EVENTS_INTERVAL_MS=0 WEBHOOK_DELIVERY=false \
    "$bin" serve >"$dir/serve-$port.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/health/ready"
  echo "http://127.0.0.1:$port"
}

# run <connections> <url> [token]: "p50_ms p99_ms req_per_s" of wrk over
# $duration seconds (2 threads, or 1 for one connection); fails on any
# answer that is not 2xx/3xx.
run() {
  local c=$1 url=$2 token=${3:-} threads=2 out
  [ "$c" -eq 1 ] && threads=1
  if [ -n "$token" ]; then
    out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url")
  else
    out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency "$url")
  fi
  if grep -q "Non-2xx" <<<"$out"; then echo "$url: $(grep Non-2xx <<<"$out")" >&2; exit 1; fi
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.3f %.3f %.0f\n", p50, p99, rps }' <<<"$out"
}

sqlite_file="$dir/demo.db"
sqlite=$(serve "sqlite://$sqlite_file?mode=rwc")
token=$("$bin" token --role kommunledning --kommun 0483)
id_of() { curl -sf "$1" -H "Authorization: Bearer $token" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
parts="drift,investering,volume_measures,key_figures,sections,action_plans"

# Datasette over the same file (read-only), the grouped SQL behind VON's
# driftredovisning: every value of each of its drift lines summed per measure.
ds_port=$(free_port)
"$venv/bin/datasette" serve "$sqlite_file" --port "$ds_port" --setting num_sql_threads 2 \
  >"$dir/datasette.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ds_port/-/versions.json"
sql="select l.code, l.name, v.measure, sum(v.amount_ore) as amount from budget_line l \
join budget_value v on v.line_id = l.id join namnd n on n.id = l.namnd_id \
where n.code = 'VON' and l.kind = 'drift' group by l.code, l.name, v.measure order by l.position"
ds_url="http://127.0.0.1:$ds_port/demo.json?sql=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$sql")"
curl -sf "$ds_url" >/dev/null || { echo "Datasette refused the SQL" >&2; cat "$dir/datasette.log" >&2; exit 1; }

echo "| request | database | connections | p50 ms | p99 ms | req/s | bytes |"
echo "|---|---|---:|---:|---:|---:|---:|"
row() { # name database connections url [token]
  local r bytes
  r=$(run "$3" "$4" "${5:-}")
  if [ -n "${5:-}" ]; then bytes=$(curl -s "$4" -H "Authorization: Bearer $5" | wc -c); else bytes=$(curl -s "$4" | wc -c); fi
  read -r p50 p99 rps <<<"$r"
  echo "| $1 | $2 | $3 | $p50 | $p99 | $rps | $bytes |"
}

measure_service() { # base database
  local base=$1 db=$2 draft approved helar
  draft=$(id_of "$base/api/v1/reports?namnd=VON&status=utkast&type=manadsrapport")
  approved=$(id_of "$base/api/v1/reports?namnd=VON&type=arsredovisning")
  helar=$(id_of "$base/api/v1/periods?kind=helar&year=2024")
  row "whole report, live (draft)" "$db" 1 "$base/api/v1/reports/$draft?include=$parts&unit=tkr" "$token"
  row "whole report, live (draft)" "$db" "$connections" "$base/api/v1/reports/$draft?include=$parts&unit=tkr" "$token"
  row "whole report, as decided" "$db" 1 "$base/api/v1/reports/$approved?include=$parts&unit=tkr" "$token"
  row "whole report, as decided" "$db" "$connections" "$base/api/v1/reports/$approved?include=$parts&unit=tkr" "$token"
  row "whole report, live (approved)" "$db" "$connections" "$base/api/v1/reports/$approved?include=$parts&unit=tkr&basis=live" "$token"
  row "report drift table" "$db" "$connections" "$base/api/v1/reports/$approved/drift?unit=tkr&basis=live" "$token"
  row "indicator appendix 2024" "$db" "$connections" "$base/api/v1/indicators/table?year=2024" "$token"
  row "kommun drift" "$db" "$connections" "$base/api/v1/kommun/drift?period_id=$helar&unit=tkr" "$token"
}

row "GET /health/live (ceiling)" "—" "$connections" "$sqlite/health/live"
row "Datasette: grouped SQL of VON's drift lines" "SQLite" "$connections" "$ds_url"
measure_service "$sqlite" SQLite
if [ -n "$pg_admin" ]; then
  psql "$pg_admin" -qc "create database $pg_db" >/dev/null
  pg=$(serve "${pg_admin%/*}/$pg_db")
  measure_service "$pg" PostgreSQL
fi

if [ -n "$pg_admin" ] && [ "$import_rows" != 0 ]; then
  # The read services are stopped first, so the import has the machine.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql "$pg_admin" -qc "create database $import_db" >/dev/null
  echo
  echo "Import of $import_rows flat CSV rows (PostgreSQL) beside COPY of the same rows:"
  echo '```'
  "$bin" bench-import --database-url "${pg_admin%/*}/$import_db" --rows "$import_rows"
  echo '```'
fi
