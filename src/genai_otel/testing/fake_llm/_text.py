"""Deterministic content and token arithmetic shared by every endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

from genai_otel.testing.fake_llm._schema import sample_for_schema

DEFAULT_CHUNKS = 5
TOKENS_PER_MESSAGE = 3
TOOL_NAME = "get_weather"
_CITIES = ("Paris", "London", "Tokyo", "Lima", "Oslo", "Cairo", "Quito", "Perth")

# Keys whose string values count as text when estimating input tokens.
_TEXT_KEYS = frozenset({"content", "text", "arguments", "output", "thinking", "system", "instructions", "input"})

_DATED_MODELS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4": "gpt-4-0613",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "o1": "o1-2024-12-17",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
}


def content_text(word_count: int, stem: str = "word") -> str:
    """The reply text: ``"word0 word1 ... word{n-1}"`` (empty for zero words)."""
    return " ".join(f"{stem}{index}" for index in range(word_count))


def split_words(text: str) -> list[str]:
    """Stream pieces of ``text``: one per word, each carrying the whitespace before it (``"a", " b", " c"``)."""
    return re.findall(r"\s*\S+", text)


def split_fixed(text: str, size: int = 5) -> list[str]:
    """Stream pieces of a JSON arguments string, ``size`` characters each, as providers fragment tool arguments."""
    return [text[start : start + size] for start in range(0, len(text), size)]


def count_words(text: str) -> int:
    return len(text.split())


def words_in(value: Any) -> int:
    """Whitespace-separated words in every text-bearing field of a request fragment (strings, parts, tool calls)."""
    if isinstance(value, str):
        return count_words(value)
    if isinstance(value, list):
        return sum(words_in(item) for item in value)
    if isinstance(value, dict):
        total = 0
        for key, item in value.items():
            if key not in _TEXT_KEYS:
                continue
            total += count_words(json.dumps(item)) if isinstance(item, dict) else words_in(item)
        return total
    return 0


def message_tokens(messages: Any, *, system: Any = None) -> int:
    """Input tokens of a chat request: per message, 3 + its words; a system prompt counts as one more message."""
    total = 0
    if system:
        total += TOKENS_PER_MESSAGE + words_in(system)
    for message in messages if isinstance(messages, list) else []:
        total += TOKENS_PER_MESSAGE + words_in(message)
    return total


def dated_model(model: str) -> str:
    """The model name a provider reports back: a dated snapshot for a few well-known aliases, else the request's."""
    return _DATED_MODELS.get(model, model)


def tool_arguments(index: int, parameters: Any = None) -> dict[str, Any]:
    """Arguments of the ``index``-th tool call: filled from the tool's schema, or ``{"location", "unit"}``."""
    if isinstance(parameters, dict) and parameters.get("properties"):
        sample = sample_for_schema(parameters, root=parameters)
        if isinstance(sample, dict) and sample:
            return sample
    return {"location": _CITIES[index % len(_CITIES)], "unit": "celsius"}


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
