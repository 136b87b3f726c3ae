#!/usr/bin/env bash
# The contract as client generators see it (issue 17), with pinned tools:
#  1. Redocly lint (recommended rules, ../redocly.yaml): 0 errors, 0 warnings;
#  2. openapi-python-client generates a client without a warning;
#  3. openapi-typescript + openapi-fetch: a client that compiles with
#     `tsc --strict` (clients/typescript, no cast, no any) and reads VON's
#     årsredovisning, the indicator appendix and the kommun drift view from
#     the service running the demo, printing the seed's figures, and the
#     kommun drift view with its drill-down into VON.
# Needs: node + npm, python3, `cargo build` done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
doc="$root/openapi/openapi.json"

echo "contract: Redocly lint"
(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
lint=$(cd "$here" && npx --no-install redocly lint "$doc" --config "$root/.ci/redocly.yaml" --format=summary 2>&1) || {
  echo "$lint"
  exit 1
}
if grep -Eq "^(error|warning) " <<<"$lint"; then
  echo "$lint"
  exit 1
fi

echo "contract: openapi-python-client"
venv="$root/target/ci-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/openapi-python-client" --version 2>/dev/null | grep -q "0.29.1"; then
  "$venv/bin/pip" install -q "openapi-python-client==0.29.1" "ruff==0.17.6"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
generated=$(PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --path "$doc" \
  --output-path "$out/python" --overwrite --config "$here/openapi-python-client.yaml" 2>&1)
if grep -Eiq "warning|error|skipping|unsupported" <<<"$generated"; then
  echo "$generated"
  exit 1
fi

echo "contract: TypeScript client (tsc --strict)"
ts="$root/clients/typescript"
(cd "$ts" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null && npm run -s generate >/dev/null && npm run -s build)
if grep -REn "\bas (unknown|any)\b|: any\b|<any>|as [A-Z][A-Za-z]*\b" "$ts/src/main.ts"; then
  echo "clients/typescript/src/main.ts must not cast or use any"
  exit 1
fi

dir=$out
# shellcheck source=../demo-server.sh
source "$root/.ci/demo-server.sh"
trap 'kill $pid 2>/dev/null || true; rm -rf "$out"' EXIT
printed=$(node "$ts/dist/main.js" "$base" "$token")
echo "$printed"
for expected in "Äldreomsorg: utfall −314 902 / budget −309 142 / avvikelse −5 761" \
  "Summa: utfall −907 875 / budget −907 426 / avvikelse −450" \
  "kommun drift, VON: utfall −907 875 / budget −907 426 / avvikelse −450" \
  "drill-down, Äldreomsorg: utfall −314 902 / budget −309 142 / avvikelse −5 761"; do
  grep -qF "$expected" <<<"$printed" || {
    echo "the TypeScript client did not print: $expected"
    exit 1
  }
done
echo "contract: ok"
