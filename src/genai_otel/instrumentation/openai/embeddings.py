"""OpenAI ``embeddings.create`` (sync and async): one ``embeddings {model}`` span per call.

Request: ``gen_ai.request.encoding_formats`` (only when the caller chose one: the SDK's own base64 transport
default is an implementation detail, the caller receives floats), ``gen_ai.embeddings.dimension.count`` from
``dimensions``. Response: model, input tokens (``usage.prompt_tokens``; embeddings have no output tokens), and the
dimension count of the vectors received when the caller did not ask for one.
"""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, Usage
from genai_otel.instrumentation.openai._surface import OpenAISurface

__all__ = ["EmbeddingsSurface"]

_FLOAT32_BYTES = 4


class EmbeddingsSurface(OpenAISurface):
    """``embeddings.create``: never streamed, so no accumulator is ever asked for."""

    __slots__ = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest:
        given = self._sdk.given
        attributes: Attributes = {}
        encoding_format = given(kwargs, "encoding_format")
        if isinstance(encoding_format, str):
            attributes[sc.REQUEST_ENCODING_FORMATS] = (encoding_format,)
        dimensions = given(kwargs, "dimensions")
        if isinstance(dimensions, int):
            attributes[sc.EMBEDDINGS_DIMENSION_COUNT] = dimensions
        return self._new_request(instance, kwargs, sc.OPERATION_EMBEDDINGS, attributes, streamable=False)[0]

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse:
        usage = getattr(result, "usage", None)
        attributes: Attributes = {}
        if sc.EMBEDDINGS_DIMENSION_COUNT not in request.attributes:
            count = _dimension_count(getattr(result, "data", None))
            if count is not None:
                attributes[sc.EMBEDDINGS_DIMENSION_COUNT] = count
        return GenAIResponse(
            model=getattr(result, "model", None),
            usage=Usage(input_tokens=getattr(usage, "prompt_tokens", None)) if usage is not None else None,
            attributes=attributes,
        )

    def accumulator(self, request: GenAIRequest) -> Any:
        raise TypeError("embeddings are never streamed")


def _dimension_count(data: Any) -> int | None:
    if not data:
        return None
    vector = getattr(data[0], "embedding", None)
    if isinstance(vector, list):
        return len(vector) or None
    if isinstance(vector, str) and len(vector) % 4 == 0:  # the caller asked for base64: packed float32
        size = len(vector) * 3 // 4 - len(vector[-2:]) + len(vector[-2:].rstrip("="))
        return size // _FLOAT32_BYTES or None
    return None
