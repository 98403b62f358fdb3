#!/usr/bin/env bash
# The test suite: installs the Python dependencies into .venv, runs everything against the newest openai (3.x),
# then the openai tests again against openai 2.x in a second virtual environment. Unless GENAI_OTEL_SKIP_MATRIX=true,
# it first makes .venv-others (scripts/dedupe-env.sh), where tests/dedupe run the other GenAI instrumentations.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
if [ "${GENAI_OTEL_SKIP_MATRIX:-}" != "true" ]; then
  # .venv-others: the other GenAI instrumentations really installed, for tests/dedupe (which skip without it)
  echo "--- .venv-others"
  bash scripts/dedupe-env.sh
fi
python -m pytest -q -p no:cacheprovider "$@"
if [ "${GENAI_OTEL_SKIP_MATRIX:-}" != "true" ]; then
  OLD="$ROOT/.venv-openai2"
  [ -x "$OLD/bin/python" ] || python3 -m venv "$OLD"
  "$OLD/bin/python" -m pip install --quiet -e "$ROOT[anthropic,test]" "openai>=2,<3"
  echo "--- openai $("$OLD/bin/python" -c 'import openai; print(openai.__version__)')"
  "$OLD/bin/python" -m pytest -q -p no:cacheprovider tests/openai
fi
