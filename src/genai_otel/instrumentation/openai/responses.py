"""The OpenAI Responses API: ``responses.create`` / ``.parse`` (and through ``create`` the ``.stream()`` helper),
and ``responses.retrieve`` as the GenAI conventions' ``fetch_response`` operation.

``create`` / ``parse``: one ``chat {model}`` span with ``openai.api.type=responses``, the usual request attributes
(temperature, top_p, max_output_tokens as ``gen_ai.request.max_tokens``, service tier, output type, conversation id),
and the response's id, model, status, finish reason, usage (cached and reasoning tokens included) and service tier.
Background calls (``background=True``) answer ``queued`` / ``in_progress``: reported as such, with no finish reason.

``retrieve``: one ``fetch_response`` span (the response id is high-cardinality, so it stays out of the span name)
carrying ``gen_ai.response.id``, and for a resumed stream ``gen_ai.request.stream_cursor``; no token usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.content import Prompt, read_output
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse
from genai_otel.instrumentation.openai._responses_accumulator import ResponsesStreamAccumulator, response_record
from genai_otel.instrumentation.openai._responses_content import responses_output, responses_prompt
from genai_otel.instrumentation.openai._surface import OpenAISurface

__all__ = ["FetchResponseSurface", "ResponsesSurface"]

_JSON_FORMATS = frozenset({"json_schema", "json_object"})


_RESPONSES_PARAMETERS = (
    ("temperature", sc.REQUEST_TEMPERATURE),
    ("top_p", sc.REQUEST_TOP_P),
    ("max_output_tokens", sc.REQUEST_MAX_TOKENS),
)


class ResponsesSurface(OpenAISurface):
    """``responses.create`` and ``responses.parse``, sync and async, plain or streamed."""

    __slots__ = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        sdk = self._sdk
        given = sdk.given
        attributes: Attributes = {sc.OPENAI_API_TYPE: sc.OPENAI_API_TYPE_RESPONSES}
        sdk.copy_given(kwargs, _RESPONSES_PARAMETERS, attributes)
        tier = given(kwargs, "service_tier")
        if tier is not None and tier != "auto":
            attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier
        output_type = _output_type(given(kwargs, "text_format"), given(kwargs, "text"))
        if output_type is not None:
            attributes[sc.OUTPUT_TYPE] = output_type
        conversation = _conversation_id(given(kwargs, "conversation"))
        if conversation is not None:
            attributes[sc.CONVERSATION_ID] = conversation
        return self._new_request(instance, kwargs, sc.OPERATION_CHAT, attributes)[0]

    def prompt(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Prompt | None:
        return responses_prompt(self._sdk.given, instance, kwargs, capture)

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        record = response_record(result, fetched=False)
        if request.capture_content:
            record.output_messages = read_output(responses_output, result, record.finish_reasons)
        return record

    def accumulator(self, request: GenAIRequest) -> ResponsesStreamAccumulator:
        return ResponsesStreamAccumulator(fetched=False, capture=request.capture_content)


class FetchResponseSurface(OpenAISurface):
    """``responses.retrieve``: fetching a stored response by id, whole or as a (resumable) event stream."""

    __slots__ = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        given = self._sdk.given
        attributes: Attributes = {sc.OPENAI_API_TYPE: sc.OPENAI_API_TYPE_RESPONSES}
        response_id = args[0] if args else given(kwargs, "response_id")
        if isinstance(response_id, str) and response_id:
            attributes[sc.RESPONSE_ID] = response_id
        cursor = given(kwargs, "starting_after")
        if cursor is not None:
            attributes[sc.REQUEST_STREAM_CURSOR] = str(cursor)
        return self._new_request(instance, kwargs, sc.OPERATION_FETCH_RESPONSE, attributes, model=None)[0]

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        return response_record(result, fetched=True)

    def accumulator(self, request: GenAIRequest) -> ResponsesStreamAccumulator:
        return ResponsesStreamAccumulator(fetched=True)


def _output_type(text_format: Any, text: Any) -> str | None:
    if isinstance(text_format, type):  # a pydantic model given to .parse() / .stream()
        return "json"
    response_format = text.get("format") if isinstance(text, Mapping) else None
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind in _JSON_FORMATS:
        return "json"
    return "text" if kind == "text" else None


def _conversation_id(conversation: Any) -> str | None:
    if isinstance(conversation, str):
        return conversation or None
    value = conversation.get("id") if isinstance(conversation, Mapping) else getattr(conversation, "id", None)
    return value if isinstance(value, str) and value else None
