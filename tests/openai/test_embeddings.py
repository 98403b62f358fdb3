"""``embeddings.create`` end to end: real openai SDK -> real HTTP -> fake LLM server."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from genai_otel.genai import semconv
from tests.openai.conftest import directives

MODEL = "text-embedding-3-small"


def _attrs(span: Any, fake_llm: Any, model: str = MODEL) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"embeddings {model}"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == model
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])
    assert "openai.api.type" not in attrs
    assert "gen_ai.usage.output_tokens" not in attrs and "gen_ai.response.finish_reasons" not in attrs
    return attrs


def test_create_records_model_dimensions_and_input_tokens(client: openai.OpenAI, telemetry: Any,
                                                          fake_llm: Any) -> None:
    result = client.embeddings.create(model=MODEL, input=["one two three", "four five"])
    assert type(result) is openai.types.CreateEmbeddingResponse and len(result.data[0].embedding) == 1536
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm)
    assert "gen_ai.request.encoding_formats" not in attrs  # the SDK's base64 transport is not the caller's choice
    assert attrs["gen_ai.embeddings.dimension.count"] == 1536
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens == 5
    assert span.status.status_code is StatusCode.UNSET

    metric_attrs = {"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": MODEL, "gen_ai.response.model": MODEL, "server.address": "127.0.0.1",
                    "server.port": attrs["server.port"]}
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"] == metric_attrs and duration["bounds"] == semconv.DURATION_BUCKETS
    [tokens] = telemetry.metric_points("gen_ai.client.token.usage")
    assert tokens["attributes"] == {**metric_attrs, "gen_ai.token.type": "input"}
    assert (tokens["sum"], tokens["count"]) == (5, 1)


@pytest.mark.parametrize(("encoding_format", "model", "dimensions", "expected"), [
    ("float", MODEL, None, 1536),
    ("base64", "text-embedding-3-large", None, 3072),
    ("base64", MODEL, 256, 256),
    (None, MODEL, 64, 64),
])
def test_encoding_formats_and_dimensions(client: openai.OpenAI, telemetry: Any, fake_llm: Any,
                                         encoding_format: str | None, model: str, dimensions: int | None,
                                         expected: int) -> None:
    extra: dict[str, Any] = {}
    if encoding_format:
        extra["encoding_format"] = encoding_format
    if dimensions:
        extra["dimensions"] = dimensions
    result = client.embeddings.create(model=model, input="hello world", **extra)
    assert isinstance(result.data[0].embedding, str if encoding_format == "base64" else list)
    attrs = _attrs(telemetry.only_span(), fake_llm, model)
    assert attrs.get("gen_ai.request.encoding_formats") == ((encoding_format,) if encoding_format else None)
    assert attrs["gen_ai.embeddings.dimension.count"] == expected
    assert attrs["gen_ai.usage.input_tokens"] == 2


async def test_async_create(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any, tracer: Any) -> None:
    with tracer.start_as_current_span("parent") as parent:
        result = await aclient.embeddings.create(model=MODEL, input=[[1, 2, 3, 4]])
    span = telemetry.only_span()
    assert span.parent.span_id == parent.get_span_context().span_id
    attrs = _attrs(span, fake_llm)
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens == 4


@pytest.mark.parametrize(("status", "error"), [(400, openai.BadRequestError), (429, openai.RateLimitError)])
def test_errors(client: openai.OpenAI, telemetry: Any, fake_llm: Any, status: int, error: type) -> None:
    with pytest.raises(error):
        client.embeddings.create(model=MODEL, input="hi", dimensions=8, **directives(status=status))
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == f"openai.{error.__name__}"
    assert attrs["gen_ai.embeddings.dimension.count"] == 8
    assert "gen_ai.usage.input_tokens" not in attrs
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


async def test_async_error(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    with pytest.raises(openai.InternalServerError):
        await aclient.embeddings.create(model=MODEL, input="hi", **directives(status=500))
    assert _attrs(telemetry.only_span(), fake_llm)["error.type"] == "openai.InternalServerError"


def test_raw_response(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    raw = client.embeddings.with_raw_response.create(model=MODEL, input="hi there")
    assert raw.headers["openai-model"] == MODEL
    result = raw.parse()
    attrs = _attrs(telemetry.only_span(), fake_llm)
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens == 2
