# Sourced by the CI checks that need the service with the demo data
# (.ci/axe/run.sh, .ci/contract/run.sh). Starts the debug binary on a scratch
# SQLite file in "$dir", waits until the demo is loaded (VON's årsredovisning
# is decided last), and sets: bin, pid, base, token (kommunledning, 0483).
# The caller makes "$dir" and kills "$pid" when done.
bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/debug/kommunrapport"
port=$(( 20000 + RANDOM % 20000 ))
DATABASE_URL="sqlite://$dir/demo.db?mode=rwc" BIND_ADDRESS="127.0.0.1:$port" AUTO_SEED_DEMO=true \
  LOG_FORMAT=text RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 "$bin" serve >"$dir/serve.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
token=$("$bin" token --role kommunledning --kommun 0483)
for _ in $(seq 1 120); do
  if curl -sf "$base/api/v1/reports?namnd=VON&type=arsredovisning" -H "Authorization: Bearer $token" 2>/dev/null |
    grep -q '"status":"godkand"'; then
    break
  fi
  sleep 1
done
