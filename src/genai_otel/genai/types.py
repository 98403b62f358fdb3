"""Provider-neutral records of one GenAI call.

Adapters translate SDK requests, responses and stream chunks into these; the recorder turns them into
spans and metrics. Nothing in here knows about any SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

AttributeValue = Union[str, bool, int, float, "tuple[str, ...]", "tuple[int, ...]", "tuple[float, ...]"]
Attributes = dict[str, AttributeValue]

__all__ = ["AttributeValue", "Attributes", "GenAIRequest", "GenAIResponse", "Usage", "normalize_finish_reason"]


@dataclass(slots=True)
class GenAIRequest:
    """What the caller asked for, known before the call is sent."""

    operation: str
    """``gen_ai.operation.name``: chat, text_completion, embeddings, ..."""
    provider: str
    """``gen_ai.provider.name``: openai, anthropic, azure.ai.openai, aws.bedrock, ..."""
    model: str | None
    server_address: str | None
    server_port: int | None
    stream: bool = False
    attributes: Attributes = field(default_factory=dict)
    """Further request attributes, keyed by their semconv names (temperature, max_tokens, ...)."""
    # Message content (issue 5): filled only while content capture is on, in the conventions' "parts" shape
    # (see genai_otel.genai.content.parts); the recorder redacts and limits a copy before anything is exported.
    capture_content: bool = False
    """Content capture is on for this call: the surface and its stream accumulator read output content too."""
    system_instructions: list[dict[str, Any]] | None = None
    input_messages: list[dict[str, Any]] | None = None
    tool_definitions: list[dict[str, Any]] | None = None
    content_secrets: tuple[str, ...] = ()
    """This call's credentials and header values, scrubbed from captured content; never exported."""


@dataclass(slots=True)
class Usage:
    """Token counts as the semantic conventions define them.

    ``input_tokens`` always *includes* cached and cache-write tokens (the GenAI conventions' MUST);
    adapters whose provider reports them separately (Anthropic) add them up before building this.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None


@dataclass(slots=True)
class GenAIResponse:
    """What came back. Every field is optional: a stream that was cut short may know very little."""

    response_id: str | None = None
    model: str | None = None
    finish_reasons: tuple[str, ...] = ()
    usage: Usage | None = None
    attributes: Attributes = field(default_factory=dict)
    """Provider extras keyed by semconv names (service tier, system fingerprint, api type, ...)."""
    error_type: str | None = None
    """Set when the provider answered with a failure status inside a 2xx body (e.g. a failed Response)."""
    error_message: str | None = None
    output_messages: list[dict[str, Any]] | None = None
    """Output messages in the conventions' "parts" shape, one per choice; only while content capture is on."""


# One mapping for every adapter, so a dashboard can group by finish reason across providers.
_FINISH_REASONS: dict[str, str] = {
    # OpenAI chat / completions
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "content_filter": "content_filter",
    # Anthropic messages
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
    # OpenAI Responses incomplete_details.reason
    "max_output_tokens": "length",
}


def normalize_finish_reason(reason: str) -> str:
    """Map a provider's finish/stop reason onto the shared vocabulary; unknown reasons pass through."""
    return _FINISH_REASONS.get(reason, reason)
