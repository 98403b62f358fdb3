"""``python -m genai_otel.cli``."""

import sys

from genai_otel.cli import main

sys.exit(main())
