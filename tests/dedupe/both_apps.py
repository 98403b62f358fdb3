"""examples/chat_app.py then examples/anthropic_app.py in one process (8 GenAI calls: 5 OpenAI, 3 Anthropic)."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

if __name__ == "__main__":
    runpy.run_path(str(EXAMPLES / "chat_app.py"), run_name="__main__")
    runpy.run_path(str(EXAMPLES / "anthropic_app.py"), run_name="__main__")
