#!/usr/bin/env bash
# Times the report documents on a release build (see BENCHMARKS.md):
# seed 000's årsredovisning as HTML and as PDF, and the bench-views kommun's
# compilation (25 nämnder) as PDF, with the server's peak memory.
# Usage: cargo build --release && benches/documents.sh [scratch-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/kommunrapport}
dir=${1:-$(mktemp -d)}
db="sqlite://$dir/bench.db?mode=rwc"
# The bench kommun (9999, 25 nämnder × 300 lines × 5 years, 400 indicators)
# and the demo (seed 000) in one database. Helår 2024: all 25 reports approved,
# each with its decided version.
"$bin" bench-views --database-url "$db" --iterations 1 >"$dir/bench-views.log"
DATABASE_URL="$db" "$bin" seed-demo >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
DATABASE_URL="$db" BIND_ADDRESS="127.0.0.1:$port" AUTO_SEED_DEMO=false RUST_LOG=warn \
  RATE_LIMIT_PER_MINUTE=0 "$bin" serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 60); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.5; done
t0483=$("$bin" token --role kommunledning --kommun 0483)
t9999=$("$bin" token --role kommunledning --kommun 9999)
id_of() { curl -sf "$base$1" -H "Authorization: Bearer $2" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
report=$(id_of "/api/v1/reports?namnd=VON&type=arsredovisning" "$t0483")
period=$(id_of "/api/v1/periods?kind=helar&year=2024" "$t9999")
time_of() { curl -s -o "$dir/out" -w '%{time_total}\n' "$base$1" -H "Authorization: Bearer $2"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "seed 000 HTML, first:   $(time_of "/api/v1/reports/$report/document?format=html" "$t0483") s"
echo "seed 000 HTML, median of 20: $(for _ in $(seq 20); do time_of "/api/v1/reports/$report/document?format=html" "$t0483"; done | median) s ($(wc -c <"$dir/out") bytes)"
echo "seed 000 PDF, first (fonts loaded): $(time_of "/api/v1/reports/$report/document?format=pdf" "$t0483") s"
echo "seed 000 PDF, median of 5: $(for _ in $(seq 5); do time_of "/api/v1/reports/$report/document?format=pdf" "$t0483"; done | median) s ($(wc -c <"$dir/out") bytes)"
rss() { awk '/VmHWM/ {print $2/1024 " MiB"}' "/proc/$pid/status"; }
echo "server peak RSS before the kommun document: $(rss)"
echo "kommun 9999 document PDF: $(time_of "/api/v1/kommun/document?period_id=$period&type=arsredovisning&format=pdf" "$t9999") s ($(wc -c <"$dir/out") bytes, $(pdfinfo "$dir/out" 2>/dev/null | awk '/^Pages/ {print $2}') pages)"
echo "server peak RSS after: $(rss)"
echo "kommun 9999 document HTML: $(time_of "/api/v1/kommun/document?period_id=$period&type=arsredovisning&format=html" "$t9999") s ($(wc -c <"$dir/out") bytes)"
