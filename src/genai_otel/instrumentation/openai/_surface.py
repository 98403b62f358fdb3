"""What every OpenAI surface shares: the SDK shapes, the endpoint of the call, the request record's skeleton."""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.types import Attributes, GenAIRequest
from genai_otel.instrumentation._stainless import SdkShapes
from genai_otel.instrumentation.openai.providers import Endpoint, endpoint_of

__all__ = ["OpenAISurface", "stop_and_choices"]


class OpenAISurface:
    """Base of the OpenAI surfaces: holds the SDK shapes and builds the neutral request for an endpoint."""

    __slots__ = ("_sdk",)

    def __init__(self, sdk: SdkShapes) -> None:
        self._sdk = sdk

    def _new_request(self, instance: Any, kwargs: dict[str, Any], operation: str, attributes: Attributes, *,
                     model: Any = ..., streamable: bool = True) -> tuple[GenAIRequest, Endpoint]:
        given = self._sdk.given
        endpoint = endpoint_of(instance)
        request = GenAIRequest(
            operation=operation,
            provider=endpoint.provider,
            model=given(kwargs, "model") if model is ... else model,
            server_address=endpoint.host,
            server_port=endpoint.port,
            stream=bool(given(kwargs, "stream")) if streamable else False,
            attributes=attributes,
        )
        return request, endpoint


def stop_and_choices(sdk: SdkShapes, kwargs: dict[str, Any], attributes: Attributes) -> None:
    """``stop`` as ``gen_ai.request.stop_sequences`` and ``n`` (when not 1) as ``gen_ai.request.choice.count``."""
    stop = sdk.given(kwargs, "stop")
    if stop is not None:
        attributes[sc.REQUEST_STOP_SEQUENCES] = (stop,) if isinstance(stop, str) else tuple(stop)
    n = sdk.given(kwargs, "n")
    if n is not None and n != 1:
        attributes[sc.REQUEST_CHOICE_COUNT] = n
