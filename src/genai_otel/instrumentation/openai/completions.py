"""OpenAI legacy completions, ``completions.create`` (sync, async, streamed): operation ``text_completion``.

Same request and response attributes as chat where the API has them (no ``openai.api.type``: the conventions
define it for chat completions and Responses only). Streamed calls get token counts as chat does (see
``_stream_usage``).
"""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.content import Prompt, read_output
from genai_otel.genai.stream import Accumulator
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, normalize_finish_reason
from genai_otel.instrumentation.openai._accumulator import ChatStreamAccumulator
from genai_otel.instrumentation.openai._content import completion_output, completion_prompt
from genai_otel.instrumentation.openai._stream_usage import add_stream_usage, hiding_added_usage
from genai_otel.instrumentation.openai._surface import OpenAISurface, stop_and_choices
from genai_otel.instrumentation.openai._usage import response_extras, usage_of

__all__ = ["CompletionsSurface"]

_NUMERIC = (
    ("temperature", sc.REQUEST_TEMPERATURE),
    ("top_p", sc.REQUEST_TOP_P),
    ("max_tokens", sc.REQUEST_MAX_TOKENS),
    ("frequency_penalty", sc.REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", sc.REQUEST_PRESENCE_PENALTY),
    ("seed", sc.REQUEST_SEED),
)


class CompletionsSurface(OpenAISurface):
    """``completions.create``; a streamed call's chunks have the chat-chunk shape, so chat's accumulator reads them."""

    __slots__ = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        sdk = self._sdk
        attributes: Attributes = {}
        sdk.copy_given(kwargs, _NUMERIC, attributes)
        stop_and_choices(sdk, kwargs, attributes)
        request, endpoint = self._new_request(instance, kwargs, sc.OPERATION_TEXT_COMPLETION, attributes)
        return add_stream_usage(request, endpoint, instance._client, kwargs, sdk.given)

    def prompt(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Prompt | None:
        return completion_prompt(self._sdk.given, instance, kwargs, capture)

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        choices = getattr(result, "choices", None) or ()
        return GenAIResponse(
            response_id=getattr(result, "id", None),
            model=getattr(result, "model", None),
            finish_reasons=tuple(normalize_finish_reason(c.finish_reason) for c in choices if c.finish_reason),
            usage=usage_of(getattr(result, "usage", None)),
            attributes=response_extras(None, getattr(result, "system_fingerprint", None)),
            output_messages=read_output(completion_output, result) if request.capture_content else None,
        )

    def accumulator(self, request: GenAIRequest) -> Accumulator:
        return hiding_added_usage(request, ChatStreamAccumulator(capture=request.capture_content))
