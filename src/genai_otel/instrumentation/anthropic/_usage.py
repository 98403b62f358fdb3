"""Reading Anthropic ``usage`` objects into neutral records.

Anthropic reports ``input_tokens`` *without* the tokens read from or written to the prompt cache; the GenAI
conventions say ``gen_ai.usage.input_tokens`` MUST include them, so they are added up here.
"""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.types import Attributes, Usage

__all__ = ["stream_usage_of", "usage_extras", "usage_of"]


def usage_of(usage: Any) -> Usage | None:
    """The usage of a complete message."""
    if usage is None:
        return None
    return _neutral(getattr(usage, "input_tokens", None), getattr(usage, "cache_read_input_tokens", None),
                    getattr(usage, "cache_creation_input_tokens", None), getattr(usage, "output_tokens", None),
                    getattr(usage, "output_tokens_details", None))


def stream_usage_of(start: Any, delta: Any) -> Usage | None:
    """The usage of a stream: ``start`` from its ``message_start``, ``delta`` from its last ``message_delta``.

    The ``message_delta`` counts are the final ones and win wherever they are given. The ``output_tokens`` of
    ``message_start`` is a placeholder, so a stream cut before its ``message_delta`` reports no output tokens.
    """
    if start is None and delta is None:
        return None

    def pick(name: str) -> Any:
        value = getattr(delta, name, None) if delta is not None else None
        if value is None and start is not None:
            value = getattr(start, name, None)
        return value

    return _neutral(pick("input_tokens"), pick("cache_read_input_tokens"), pick("cache_creation_input_tokens"),
                    getattr(delta, "output_tokens", None) if delta is not None else None,
                    getattr(delta, "output_tokens_details", None) if delta is not None else None)


def _neutral(uncached: int | None, cache_read: int | None, cache_creation: int | None, output: int | None,
             output_details: Any) -> Usage:
    input_tokens = None
    if uncached is not None or cache_read is not None or cache_creation is not None:
        input_tokens = (uncached or 0) + (cache_read or 0) + (cache_creation or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output,
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_creation,
        reasoning_output_tokens=(getattr(output_details, "thinking_tokens", None)
                                 if output_details is not None else None),
    )


def usage_extras(usage: Any) -> Attributes:
    """Response attributes beyond the neutral usage: the 1-hour cache writes, which are priced apart."""
    split = getattr(usage, "cache_creation", None) if usage is not None else None
    if isinstance(split, dict):  # an SDK that predates the field keeps it as a plain extra
        one_hour = split.get("ephemeral_1h_input_tokens")
    else:
        one_hour = getattr(split, "ephemeral_1h_input_tokens", None) if split is not None else None
    return {sc.EXTRA_USAGE_CACHE_CREATION_1H: one_hour} if one_hour else {}
