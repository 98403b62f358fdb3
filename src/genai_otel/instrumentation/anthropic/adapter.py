"""Anthropic adapter: patch targets as data, and the translation of Messages calls into neutral records.

One surface reads every way of creating a message: ``create`` (plain or ``stream=True``), ``parse``, the
``stream(...)`` helper (whose request is sent when its manager is entered, see ``_stream_helper``), and through them
``with_raw_response`` / ``with_streaming_response``, the beta namespace, ``AnthropicBedrock`` and ``AnthropicVertex``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.content import Prompt, read_output
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, normalize_finish_reason
from genai_otel.instrumentation._base import PatchTarget, ResultKind
from genai_otel.instrumentation._stainless import SdkShapes, server_of
from genai_otel.instrumentation.anthropic._accumulator import MessageStreamAccumulator
from genai_otel.instrumentation.anthropic._content import message_output, messages_prompt
from genai_otel.instrumentation.anthropic._stream_helper import defer_request
from genai_otel.instrumentation.anthropic._usage import usage_extras, usage_of

__all__ = ["AnthropicAdapter", "MessagesSurface", "provider_of"]

# Where each SDK generation keeps its message resources. Targets an SDK lacks are skipped by the engine.
_MESSAGES = "anthropic.resources.messages"
_BETA_MESSAGES = "anthropic.resources.beta.messages"
_PROMPT_CACHING = "anthropic.resources.beta.prompt_caching"  # anthropic 0.x only

# Request parameters read into span attributes. The SDK's ``extra_body`` wins over its keyword arguments, as on
# the wire (anthropic >= 1.0 only takes temperature, top_p and top_k that way).
_NUMERIC_PARAMETERS = (
    ("max_tokens", sc.REQUEST_MAX_TOKENS),
    ("temperature", sc.REQUEST_TEMPERATURE),
    ("top_p", sc.REQUEST_TOP_P),
    ("top_k", sc.REQUEST_TOP_K),
)

_BEDROCK_CLASSES = frozenset({"BaseBedrockClient", "AnthropicBedrock", "AsyncAnthropicBedrock"})
_VERTEX_CLASSES = frozenset({"BaseVertexClient", "AnthropicVertex", "AsyncAnthropicVertex"})
_providers: dict[type, str] = {}


def provider_of(client: Any) -> str:
    """``gen_ai.provider.name`` for an SDK client: ``aws.bedrock``, ``gcp.vertex_ai``, else ``anthropic``."""
    cls = type(client)
    provider = _providers.get(cls)
    if provider is None:
        names = {base.__name__ for base in cls.__mro__}
        if names & _BEDROCK_CLASSES:
            provider = "aws.bedrock"
        elif names & _VERTEX_CLASSES:
            provider = "gcp.vertex_ai"
        else:  # anthropic >= 1.17 names it on every client class (Bedrock Mantle too)
            declared = getattr(cls, "_gen_ai_provider_name", None)
            provider = declared if isinstance(declared, str) and declared else "anthropic"
        _providers[cls] = provider
    return provider


class MessagesSurface:
    """``messages.create`` / ``.parse`` / ``.stream`` and their beta twins: request, response, stream events."""

    __slots__ = ("_sdk",)

    def __init__(self, sdk: SdkShapes) -> None:
        self._sdk = sdk

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        given = self._sdk.given
        extra = kwargs.get("extra_body")
        if not isinstance(extra, dict):
            extra = None

        def param(key: str) -> Any:
            if extra is not None:
                value = extra.get(key)
                if value is not None:
                    return value
            return given(kwargs, key)

        attributes: Attributes = {}
        for key, name in _NUMERIC_PARAMETERS:
            value = param(key)
            if value is not None:
                attributes[name] = value
        stop = param("stop_sequences")
        if stop:
            attributes[sc.REQUEST_STOP_SEQUENCES] = (stop,) if isinstance(stop, str) else tuple(stop)
        if _asks_for_json(param("output_config"), param("output_format")):
            attributes[sc.OUTPUT_TYPE] = "json"
        host, port = server_of(instance)
        return GenAIRequest(
            operation="chat",
            provider=provider_of(instance._client),
            model=param("model"),
            server_address=host,
            server_port=port,
            stream=bool(param("stream")),
            attributes=attributes,
        )

    def prompt(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Prompt | None:
        return messages_prompt(self._sdk.given, instance, kwargs, capture)

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        reason = getattr(result, "stop_reason", None)
        usage = getattr(result, "usage", None)
        return GenAIResponse(
            response_id=getattr(result, "id", None),
            model=getattr(result, "model", None),
            finish_reasons=(normalize_finish_reason(reason),) if reason else (),
            usage=usage_of(usage),
            attributes=usage_extras(usage),
            output_messages=read_output(message_output, result) if request.capture_content else None,
        )

    def accumulator(self, request: GenAIRequest) -> MessageStreamAccumulator:
        return MessageStreamAccumulator(capture=request.capture_content)


def _asks_for_json(output_config: Any, output_format: Any) -> bool:
    """Structured output: ``output_config.format`` / a beta ``output_format`` of type ``json_schema``, or a type."""
    if isinstance(output_format, type):  # a pydantic model given to .parse() / .stream()
        return True
    for fmt in (output_config.get("format") if isinstance(output_config, dict) else None, output_format):
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return True
    return False


class AnthropicAdapter:
    """The anthropic SDK's patch targets and result shapes."""

    package = "anthropic"

    def __init__(self) -> None:
        self._sdk: SdkShapes | None = None

    def targets(self) -> Sequence[PatchTarget]:
        sdk = self._sdk = SdkShapes("anthropic")
        surface = MessagesSurface(sdk)
        targets: list[PatchTarget] = []
        for module in (_MESSAGES, _BETA_MESSAGES, _PROMPT_CACHING):
            targets += (
                PatchTarget(module, "Messages.create", surface),
                PatchTarget(module, "Messages.parse", surface),
                PatchTarget(module, "Messages.stream", surface, wrap=defer_request),
                PatchTarget(module, "AsyncMessages.create", surface, is_async=True),
                PatchTarget(module, "AsyncMessages.parse", surface, is_async=True),
                PatchTarget(module, "AsyncMessages.stream", surface, is_async=True, wrap=defer_request),
            )
        return targets

    def classify(self, result: Any) -> ResultKind:
        assert self._sdk is not None
        return self._sdk.classify(result)
