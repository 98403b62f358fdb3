"""Summarises a streamed chat completion chunk by chunk; never stores the chunks."""

from __future__ import annotations

from typing import Any

from genai_otel.genai.types import GenAIResponse, normalize_finish_reason
from genai_otel.instrumentation.openai._content import ChatOutput
from genai_otel.instrumentation.openai._usage import response_extras, usage_of

__all__ = ["ChatStreamAccumulator"]


class ChatStreamAccumulator:
    """Keeps id, model, finish reason per choice, service tier, fingerprint and the usage chunk."""

    __slots__ = ("response_id", "model", "finish_reasons", "usage", "service_tier", "fingerprint", "output")

    def __init__(self, capture: bool = False) -> None:
        self.response_id: str | None = None
        self.model: str | None = None
        self.finish_reasons: dict[int, str] = {}
        self.usage: Any = None
        self.service_tier: Any = None
        self.fingerprint: Any = None
        self.output = ChatOutput() if capture else None
        """Content of the choices, assembled only while content capture is on."""

    def add(self, chunk: Any) -> None:
        if self.response_id is None:
            self._identity(chunk)
        output = self.output
        for choice in chunk.choices or ():
            if choice.finish_reason:  # a choice without an index is choice 0, as in the content (ChatOutput)
                self.finish_reasons[choice.index or 0] = choice.finish_reason
            if output is not None:
                output.add(choice)
        usage = chunk.usage
        if usage is not None:
            self.usage = usage
            self._identity(chunk)

    def _identity(self, chunk: Any) -> None:
        """Fields every chunk repeats: read from the first chunk and again from the usage chunk."""
        self.response_id = self.response_id or getattr(chunk, "id", None)
        self.model = self.model or getattr(chunk, "model", None)
        self.service_tier = getattr(chunk, "service_tier", None) or self.service_tier
        self.fingerprint = getattr(chunk, "system_fingerprint", None) or self.fingerprint

    def result(self) -> GenAIResponse:
        return GenAIResponse(
            response_id=self.response_id,
            model=self.model,
            finish_reasons=tuple(normalize_finish_reason(self.finish_reasons[i]) for i in sorted(self.finish_reasons)),
            usage=usage_of(self.usage),
            attributes=response_extras(self.service_tier, self.fingerprint),
            output_messages=self.output.messages(self.finish_reasons) if self.output is not None else None,
        )
