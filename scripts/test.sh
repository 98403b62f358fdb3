#!/usr/bin/env bash
# The test suite: installs the Python dependencies into .venv and runs everything against the newest SDKs and
# OpenTelemetry, then the version matrix (scripts/matrix.sh: the oldest and middle SDK versions and the oldest
# OpenTelemetry we support, and SDKs below our ranges, each in its own virtual environment).
# Unless GENAI_OTEL_SKIP_MATRIX=true, it first makes .venv-others (scripts/dedupe-env.sh), where tests/dedupe run the
# other GenAI instrumentations, and runs the matrix after the suite. Arguments go to the suite's pytest.
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
  bash scripts/matrix.sh
fi
