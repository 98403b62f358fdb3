#!/usr/bin/env bash
# The main job, on the default: start the bundled fake LLM server, run the example apps (examples/chat_app.py with
# openai, examples/anthropic_app.py with anthropic) under opentelemetry-instrument with no OpenTelemetry
# configuration at all, so the distro records every call in the local store, then print `genai-otel report`.
#
# The one variable set besides the apps' own base URL and key: GENAI_OTEL_LOCAL_STORE_PATH, pointing the store at a
# fresh file in a temporary directory so that the report shows this run only (without it the calls would go to
# ~/.local/share/genai-otel/calls.sqlite3, next to whatever your own apps recorded). OTEL_* variables exported by
# the calling shell are unset for the same reason: with an endpoint configured, telemetry would go there instead.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
URL_FILE="$(mktemp)"
python -m genai_otel.testing.fake_llm --url-file "$URL_FILE" >/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$URL_FILE"' EXIT
for _ in $(seq 100); do [ -s "$URL_FILE" ] && break; sleep 0.1; done
URL="$(cat "$URL_FILE")"

while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(OTEL_[A-Za-z0-9_]*\)=.*/\1/p')
DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/genai-otel-demo.XXXXXX")"
export GENAI_OTEL_LOCAL_STORE_PATH="$DEMO_DIR/calls.sqlite3"
export OPENAI_BASE_URL="$URL/v1" OPENAI_API_KEY="sk-demo-not-a-real-key"
export ANTHROPIC_BASE_URL="$URL" ANTHROPIC_API_KEY="sk-ant-demo-not-a-real-key"

echo "\$ opentelemetry-instrument python examples/chat_app.py"
opentelemetry-instrument python examples/chat_app.py
echo
echo "\$ opentelemetry-instrument python examples/anthropic_app.py"
opentelemetry-instrument python examples/anthropic_app.py
echo
echo "\$ genai-otel report"
genai-otel report
genai-otel report --html "$DEMO_DIR/report.html" >/dev/null
echo
echo "Charts: $DEMO_DIR/report.html. More views of the same calls:"
echo "  export GENAI_OTEL_LOCAL_STORE_PATH=$GENAI_OTEL_LOCAL_STORE_PATH"
echo "  genai-otel report --by operation    # or day, hour, provider, error_type, any span attribute; --json, --csv"
echo "  genai-otel tail --last 5 --timeout 1"
echo "  genai-otel doctor"
