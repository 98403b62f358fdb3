"""OpenAI adapter: patch targets as data, and the translation of chat completions into neutral records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.content import Prompt, read_output
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, normalize_finish_reason
from genai_otel.instrumentation._base import PatchTarget, ResultKind
from genai_otel.instrumentation._stainless import SdkShapes
from genai_otel.instrumentation.openai._accumulator import ChatStreamAccumulator
from genai_otel.instrumentation.openai._content import chat_output, chat_prompt
from genai_otel.instrumentation.openai._stream_usage import add_stream_usage, hiding_added_usage
from genai_otel.instrumentation.openai._surface import OpenAISurface, stop_and_choices
from genai_otel.instrumentation.openai._usage import response_extras, usage_of
from genai_otel.instrumentation.openai.completions import CompletionsSurface
from genai_otel.instrumentation.openai.embeddings import EmbeddingsSurface
from genai_otel.instrumentation.openai.responses import FetchResponseSurface, ResponsesSurface

__all__ = ["OpenAIAdapter"]

_CHAT_MODULE = "openai.resources.chat.completions.completions"
# Older layouts, skipped where absent (a class already wrapped through another path is not wrapped twice):
_CHAT_MODULE_1X = "openai.resources.chat.completions"  # a module, not a package, before openai 1.66
_BETA_CHAT_MODULE = "openai.resources.beta.chat.completions"  # parse() sends its own request before openai 1.92
_RESPONSES_MODULE = "openai.resources.responses.responses"
_EMBEDDINGS_MODULE = "openai.resources.embeddings"
_COMPLETIONS_MODULE = "openai.resources.completions"
_JSON_FORMATS = {"json_object", "json_schema"}


_CHAT_PARAMETERS = (
    ("temperature", sc.REQUEST_TEMPERATURE),
    ("top_p", sc.REQUEST_TOP_P),
    ("frequency_penalty", sc.REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", sc.REQUEST_PRESENCE_PENALTY),
    ("seed", sc.REQUEST_SEED),
)


class ChatSurface(OpenAISurface):
    """``chat.completions.create`` / ``.parse`` (and, through them, ``.stream`` and the raw-response wrappers)."""

    __slots__ = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        sdk = self._sdk
        given = sdk.given
        attributes: Attributes = {sc.OPENAI_API_TYPE: "chat_completions"}
        sdk.copy_given(kwargs, _CHAT_PARAMETERS, attributes)
        max_tokens = given(kwargs, "max_completion_tokens")
        if max_tokens is None:
            max_tokens = given(kwargs, "max_tokens")
        if max_tokens is not None:
            attributes[sc.REQUEST_MAX_TOKENS] = max_tokens
        stop_and_choices(sdk, kwargs, attributes)
        output_type = _output_type(given(kwargs, "response_format"))
        if output_type is not None:
            attributes[sc.OUTPUT_TYPE] = output_type
        tier = given(kwargs, "service_tier")
        if tier is not None and tier != "auto":
            attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier
        request, endpoint = self._new_request(instance, kwargs, "chat", attributes)
        return add_stream_usage(request, endpoint, instance._client, kwargs, given)

    def prompt(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Prompt | None:
        return chat_prompt(self._sdk.given, instance, kwargs, capture)

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        choices = getattr(result, "choices", None) or ()
        return GenAIResponse(
            response_id=getattr(result, "id", None),
            model=getattr(result, "model", None),
            finish_reasons=tuple(normalize_finish_reason(c.finish_reason) for c in choices if c.finish_reason),
            usage=usage_of(getattr(result, "usage", None)),
            attributes=response_extras(getattr(result, "service_tier", None),
                                       getattr(result, "system_fingerprint", None)),
            output_messages=read_output(chat_output, result) if request.capture_content else None,
        )

    def accumulator(self, request: GenAIRequest) -> Any:
        return hiding_added_usage(request, ChatStreamAccumulator(capture=request.capture_content))


def _output_type(response_format: Any) -> str | None:
    if response_format is None:
        return None
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        if kind in _JSON_FORMATS:
            return "json"
        return "text" if kind == "text" else None
    if isinstance(response_format, type):  # a pydantic model given to .parse()/.stream()
        return "json"
    return None


class OpenAIAdapter:
    """The OpenAI SDK's patch targets and result shapes."""

    package = "openai"

    def __init__(self) -> None:
        self._sdk: SdkShapes | None = None

    def targets(self) -> Sequence[PatchTarget]:
        sdk = self._sdk = SdkShapes("openai")
        chat = ChatSurface(sdk)
        responses, fetch = ResponsesSurface(sdk), FetchResponseSurface(sdk)
        embeddings, completions = EmbeddingsSurface(sdk), CompletionsSurface(sdk)
        return (
            PatchTarget(_CHAT_MODULE, "Completions.create", chat),
            PatchTarget(_CHAT_MODULE, "Completions.parse", chat),
            PatchTarget(_CHAT_MODULE, "AsyncCompletions.create", chat, is_async=True),
            PatchTarget(_CHAT_MODULE, "AsyncCompletions.parse", chat, is_async=True),
            PatchTarget(_CHAT_MODULE_1X, "Completions.create", chat),
            PatchTarget(_CHAT_MODULE_1X, "AsyncCompletions.create", chat, is_async=True),
            PatchTarget(_BETA_CHAT_MODULE, "Completions.parse", chat),
            PatchTarget(_BETA_CHAT_MODULE, "AsyncCompletions.parse", chat, is_async=True),
            PatchTarget(_RESPONSES_MODULE, "Responses.create", responses),
            PatchTarget(_RESPONSES_MODULE, "Responses.parse", responses),
            PatchTarget(_RESPONSES_MODULE, "Responses.retrieve", fetch),
            PatchTarget(_RESPONSES_MODULE, "AsyncResponses.create", responses, is_async=True),
            PatchTarget(_RESPONSES_MODULE, "AsyncResponses.parse", responses, is_async=True),
            PatchTarget(_RESPONSES_MODULE, "AsyncResponses.retrieve", fetch, is_async=True),
            PatchTarget(_EMBEDDINGS_MODULE, "Embeddings.create", embeddings),
            PatchTarget(_EMBEDDINGS_MODULE, "AsyncEmbeddings.create", embeddings, is_async=True),
            PatchTarget(_COMPLETIONS_MODULE, "Completions.create", completions),
            PatchTarget(_COMPLETIONS_MODULE, "AsyncCompletions.create", completions, is_async=True),
        )

    def classify(self, result: Any) -> ResultKind:
        assert self._sdk is not None
        return self._sdk.classify(result)
