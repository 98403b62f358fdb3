"""Reading OpenAI usage objects and response extras into neutral records."""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.types import Attributes, Usage

__all__ = ["response_extras", "usage_of"]  # and _field, for the Responses usage


def usage_of(usage: Any) -> Usage | None:
    """Chat-completions usage -> neutral usage (prompt tokens already include cached ones)."""
    if usage is None:
        return None
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
        cache_read_input_tokens=_field(prompt_details, "cached_tokens") if prompt_details else None,
        cache_creation_input_tokens=_field(prompt_details, "cache_write_tokens") if prompt_details else None,
        reasoning_output_tokens=_field(completion_details, "reasoning_tokens") if completion_details else None,
    )


def _field(details: Any, name: str) -> Any:
    """A field of a usage-details object; a plain dict in SDKs older than the field (openai < 1.45 keeps it raw)."""
    return details.get(name) if isinstance(details, dict) else getattr(details, name, None)


def response_extras(service_tier: Any, fingerprint: Any) -> Attributes:
    extras: Attributes = {}
    if service_tier:
        extras[sc.OPENAI_RESPONSE_SERVICE_TIER] = str(service_tier)
    if fingerprint:
        extras[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = str(fingerprint)
    return extras
