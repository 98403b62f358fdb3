"""Summarises a streamed message event by event; never stores the events.

Reads ``message_start`` (id, model, input and cache token counts) and ``message_delta`` (stop reason, final usage).
Content blocks (text, thinking and ``input_json`` deltas) are assembled only while content capture is on.
"""

from __future__ import annotations

from typing import Any

from genai_otel.genai.types import GenAIResponse, normalize_finish_reason
from genai_otel.instrumentation.anthropic._content import MessageOutput
from genai_otel.instrumentation.anthropic._usage import stream_usage_of, usage_extras

__all__ = ["MessageStreamAccumulator"]


class MessageStreamAccumulator:
    """Keeps what ``message_start`` and the last ``message_delta`` say."""

    __slots__ = ("delta_usage", "model", "output", "response_id", "start_usage", "stop_reason")

    def __init__(self, capture: bool = False) -> None:
        self.response_id: str | None = None
        self.model: str | None = None
        self.stop_reason: str | None = None
        self.start_usage: Any = None
        self.delta_usage: Any = None
        self.output = MessageOutput() if capture else None

    def add(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":  # nearly every event: leave at once
            if self.output is not None:  # content capture on: text, thinking and input_json deltas
                self.output.add(event, kind)
            return
        if kind == "message_start":
            message = event.message
            self.response_id = getattr(message, "id", None)
            self.model = getattr(message, "model", None)
            self.start_usage = getattr(message, "usage", None)
        elif kind == "message_delta":
            reason = getattr(event.delta, "stop_reason", None)
            if reason:
                self.stop_reason = reason
            usage = getattr(event, "usage", None)
            if usage is not None:
                self.delta_usage = usage
        elif kind == "content_block_start" and self.output is not None:
            self.output.add(event, kind)

    def result(self) -> GenAIResponse:
        reason = self.stop_reason
        return GenAIResponse(
            response_id=self.response_id,
            model=self.model,
            finish_reasons=(normalize_finish_reason(reason),) if reason else (),
            usage=stream_usage_of(self.start_usage, self.delta_usage),
            attributes=usage_extras(self.start_usage),  # message_delta carries no cache-write split
            output_messages=self.output.messages(reason) if self.output is not None else None,
        )
