"""Small helpers shared by the fake LLM server tests."""

from __future__ import annotations

from typing import Any


def steer(directives: str) -> dict[str, Any]:
    """``extra_headers`` carrying fake-server directives, e.g. ``**steer("chunks=3,status=429")``."""
    return {"extra_headers": {"x-fake-llm": directives}}


USER_MESSAGE = [{"role": "user", "content": "Say this is a test"}]
"""5 words: 3 + 5 = 8 input tokens."""
