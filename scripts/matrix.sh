#!/usr/bin/env bash
# The version matrix: the oldest and middle versions of each SDK, the oldest OpenTelemetry we support, and SDKs below
# our ranges, each in its own virtual environment (.venv-matrix/<name>), running the tests that concern it. The
# newest versions are what scripts/test.sh runs in .venv before calling this script.
#
#   bash scripts/matrix.sh                 # every entry, GENAI_OTEL_MATRIX_JOBS (default 2) at a time
#   bash scripts/matrix.sh openai-oldest   # some entries, by name
#   bash scripts/matrix.sh --list          # the entries
#
# A virtual environment is (re)installed only when its entry or pyproject.toml changed (a stamp file records
# both); pip's cache is shared. Safe to run several times at once: each environment is locked while it is
# installed and tested, and editable installs (which write src/*.egg-info) take turns.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MATRIX_DIR="${GENAI_OTEL_MATRIX_DIR:-$ROOT/.venv-matrix}"
JOBS="${GENAI_OTEL_MATRIX_JOBS:-2}"
PYTHON="${PYTHON:-python3}"

# name | what pip installs besides the project (extras in brackets) | test paths
# Oldest versions are the floors of the ranges in src/genai_otel/instrumentation/*/package.py and pyproject.toml.
ENTRIES="
openai-oldest     | .[test] openai==1.26.0 httpx<0.28                                | tests/openai
openai-1x-last    | .[test] openai==1.109.1                                         | tests/openai
openai-2x         | .[test] openai==2.54.0                                          | tests/openai tests/e2e/test_opentelemetry_instrument.py
anthropic-oldest  | .[test] anthropic==0.40.0                                       | tests/anthropic
anthropic-1x      | .[test] anthropic==1.17.0                                       | tests/anthropic
otel-oldest       | .[openai,anthropic,test] opentelemetry-api==1.42.0 opentelemetry-sdk==1.42.0 opentelemetry-exporter-otlp==1.42.0 opentelemetry-semantic-conventions==0.63b0 opentelemetry-instrumentation==0.63b0 opentelemetry-exporter-prometheus==0.63b0 | tests/openai tests/anthropic tests/content tests/cost tests/extending tests/e2e/test_opentelemetry_instrument.py tests/hardening/test_versions.py
out-of-range      | .[test] openai==0.28.1 anthropic==0.39.0 httpx<0.28              | tests/hardening/test_versions.py::test_the_installed_sdks
"

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

entry() {  # entry NAME -> "requirements|tests" or nothing
  local line name
  while IFS= read -r line; do
    [ -n "$(trim "$line")" ] || continue
    name="$(trim "${line%%|*}")"
    if [ "$name" = "$1" ]; then
      line="${line#*|}"
      printf '%s|%s' "$(trim "${line%%|*}")" "$(trim "${line#*|}")"
      return 0
    fi
  done <<<"$ENTRIES"
  return 1
}

names() { while IFS= read -r line; do [ -n "$(trim "$line")" ] && trim "${line%%|*}" && echo; done <<<"$ENTRIES"; }

run_one() {  # run_one NAME: install (when needed) and test one entry; output in $MATRIX_DIR/<name>.log
  local name="$1" spec reqs tests venv stamp want start status
  spec="$(entry "$name")" || { echo "unknown matrix entry: $name" >&2; return 2; }
  reqs="${spec%%|*}"; tests="${spec#*|}"
  venv="$MATRIX_DIR/$name"; stamp="$venv/.matrix-stamp"
  want="$reqs $(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  start=$SECONDS
  exec 8>"$MATRIX_DIR/$name.lock"
  flock 8
  {
    if [ ! -x "$venv/bin/python" ]; then
      "$PYTHON" -m venv "$venv"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      local args=() req
      for req in $reqs; do
        case "$req" in .*) args+=("-e" "$ROOT${req#.}") ;; *) args+=("$req") ;; esac
      done
      # Editable installs write src/genai_otel.egg-info: one at a time across environments.
      flock "$MATRIX_DIR/.install.lock" "$venv/bin/python" -m pip install --quiet "${args[@]}" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
      echo "$want" >"$stamp"
    fi
    echo "--- $name: $("$venv/bin/python" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
found = []
for dist in ("openai", "anthropic", "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-semantic-conventions",
             "opentelemetry-instrumentation", "httpx", "pydantic"):
    try:
        found.append(f"{dist} {version(dist)}")
    except PackageNotFoundError:
        pass
print(", ".join(found))
EOF
)"
    cd "$ROOT"
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs $tests
  } >"$MATRIX_DIR/$name.log" 2>&1 && status=0 || status=$?
  flock -u 8
  printf '%-18s %s  (%ss)  %s\n' "$name" "$([ $status -eq 0 ] && echo PASS || echo FAIL)" "$((SECONDS - start))" \
    "$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed|error)' "$MATRIX_DIR/$name.log" | tail -1 | tr -d '=')"
  return $status
}

if [ "${1:-}" = "--list" ]; then
  names
  exit 0
fi
if [ "${1:-}" = "--one" ]; then  # internal: one entry, for the parallel runner below
  run_one "$2"
  exit $?
fi
mkdir -p "$MATRIX_DIR"
if [ $# -gt 0 ]; then selected=("$@"); else mapfile -t selected < <(names); fi
for name in "${selected[@]}"; do entry "$name" >/dev/null || { echo "unknown matrix entry: $name" >&2; exit 2; }; done

echo "--- version matrix: ${selected[*]} ($JOBS at a time; logs in $MATRIX_DIR/<name>.log)"
status=0
printf '%s\n' "${selected[@]}" | xargs -P "$JOBS" -I{} bash "${BASH_SOURCE[0]}" --one {} || status=$?
if [ $status -ne 0 ]; then
  for name in "${selected[@]}"; do
    if ! grep -qE '^[0-9]+ passed|^=+ [0-9]+ passed' "$MATRIX_DIR/$name.log" || grep -qE '[0-9]+ (failed|errors?)\b' "$MATRIX_DIR/$name.log"; then
      echo "=== $name.log (tail)"; tail -40 "$MATRIX_DIR/$name.log"
    fi
  done
fi
exit $status
