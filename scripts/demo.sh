#!/usr/bin/env bash
# The main job: start the bundled fake LLM server, run examples/chat_app.py under opentelemetry-instrument with no
# code changes, and print the telemetry it produced (console exporters), then stop the server.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
URL_FILE="$(mktemp)"
python -m genai_otel.testing.fake_llm --url-file "$URL_FILE" >/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$URL_FILE"' EXIT
for _ in $(seq 100); do [ -s "$URL_FILE" ] && break; sleep 0.1; done
export OPENAI_BASE_URL="$(cat "$URL_FILE")/v1" OPENAI_API_KEY="sk-demo-not-a-real-key"
export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-genai-otel-demo}"
export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-console}" OTEL_METRICS_EXPORTER="${OTEL_METRICS_EXPORTER:-console}"
export OTEL_LOGS_EXPORTER="${OTEL_LOGS_EXPORTER:-none}"
opentelemetry-instrument python examples/chat_app.py
