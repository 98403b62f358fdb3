"""``with_raw_response`` and ``with_streaming_response``: the caller keeps the SDK's response wrapper, the span still
carries what the body says."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
from opentelemetry.trace import StatusCode

from tests.anthropic.conftest import MODEL, USER, attributes_of, directives


async def parse(raw: Any) -> Any:
    """``raw.parse()``: a coroutine on ``AsyncAPIResponse`` (anthropic >= 1.0), a value on 0.x's legacy response."""
    value = raw.parse()
    return await value if inspect.isawaitable(value) else value


def test_raw_response(client: anthropic.Anthropic, telemetry: Any) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=USER,
                                                   **directives(cached=2))
    assert raw.headers["request-id"]
    attrs = attributes_of(telemetry.only_span())  # ended at once: the body was read before the call returned
    message = raw.parse()
    assert type(message) is anthropic.types.Message
    assert raw.parse() is message
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (
        message.id, 10, 5)
    assert attrs["gen_ai.request.stream"] is False
    assert "genai_otel.stream.ending" not in attrs


async def test_raw_response_async(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    raw = await aclient.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=USER)
    attrs = attributes_of(telemetry.only_span())
    message = await parse(raw)
    assert type(message) is anthropic.types.Message
    assert await parse(raw) is message
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == (message.id, 5)


def test_raw_response_of_a_stream(client: anthropic.Anthropic, telemetry: Any) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    assert telemetry.genai_spans() == []
    stream = raw.parse()
    assert isinstance(stream, anthropic.Stream)
    events = list(stream)
    attrs = attributes_of(telemetry.only_span())
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == len(events)
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == (events[0].message.id, 5)


async def test_raw_response_of_a_stream_async(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    raw = await aclient.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    stream = await parse(raw)
    assert isinstance(stream, anthropic.AsyncStream)
    events = [event async for event in stream]
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["genai_otel.stream.ending"], attrs["gen_ai.usage.output_tokens"]) == ("completed", 5)
    assert attrs["genai_otel.stream.chunk_count"] == len(events)


def test_streaming_response(client: anthropic.Anthropic, telemetry: Any) -> None:
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=100, messages=USER) as raw:
        assert telemetry.genai_spans() == []
        message = raw.parse()
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == (message.id, 5)
    assert telemetry.only_span().status.status_code is StatusCode.UNSET


async def test_streaming_response_async(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    async with aclient.messages.with_streaming_response.create(model=MODEL, max_tokens=100, messages=USER) as raw:
        message = await raw.parse()
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == (message.id, 5)


def test_streaming_response_of_a_stream_parsed(client: anthropic.Anthropic, telemetry: Any) -> None:
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=100, messages=USER,
                                                        stream=True) as raw:
        events = list(raw.parse())
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["genai_otel.stream.ending"], attrs["gen_ai.usage.output_tokens"]) == ("completed", 5)
    assert attrs["genai_otel.stream.chunk_count"] == len(events)


def test_streaming_response_read_as_bytes(client: anthropic.Anthropic, telemetry: Any) -> None:
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=100, messages=USER,
                                                        stream=True) as raw:
        lines = list(raw.iter_lines())
    assert any(line.startswith("event: message_stop") for line in lines)
    span = telemetry.only_span()  # the body was never parsed: the span ends when the response is closed
    attrs = attributes_of(span)
    assert attrs["genai_otel.stream.ending"] == "closed"
    assert span.status.status_code is StatusCode.UNSET
