#!/usr/bin/env bash
# Makes .venv-others: genai-otel (editable) with the other GenAI instrumentations of openai and anthropic really
# installed (scripts/others-requirements.txt), for tests/dedupe, which skip without it. Re-running it is cheap: it
# reinstalls only when pyproject.toml or the requirements changed. GENAI_OTEL_OTHERS_VENV picks another directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GENAI_OTEL_OTHERS_VENV:-$ROOT/.venv-others}"
REQUIREMENTS="$ROOT/scripts/others-requirements.txt"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if [ ! -f "$VENV/.installed" ] || [ "$ROOT/pyproject.toml" -nt "$VENV/.installed" ] \
    || [ "$REQUIREMENTS" -nt "$VENV/.installed" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[openai,anthropic]" -r "$REQUIREMENTS"
  touch "$VENV/.installed"
fi
"$VENV/bin/python" -m pip list 2>/dev/null | grep -E -i '^(openai|anthropic|opentelemetry-(api|sdk|instrumentation)|opentelemetry-instrumentation-(openai|anthropic|genai)|openinference-instrumentation)' || true
