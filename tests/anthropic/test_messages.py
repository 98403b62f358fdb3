"""Messages calls through the real SDK: exact span attributes and metrics for each surface and request shape."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.resources.beta.messages import Messages as BetaMessages
from anthropic.resources.messages import Messages
from opentelemetry.trace import SpanKind, StatusCode

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.anthropic.conftest import (
    MODEL,
    RESPONSE_MODEL,
    USER,
    attributes_of,
    cost_of,
    directives,
    sdk_has,
)

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather by city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
_HAS_PARSE = sdk_has(Messages, "parse")
_HAS_BETA_PARSE = sdk_has(BetaMessages, "parse")
_HAS_BETA_STREAM = sdk_has(BetaMessages, "stream")
_TAKES_SAMPLING = "top_k" in inspect.signature(Messages.create).parameters
_TAKES_THINKING = "thinking" in inspect.signature(Messages.create).parameters


def expected_span(server: FakeLLMServer, message: Any, *, stream: bool = False, max_tokens: int = 100,
                  reasons: tuple[str, ...] = ("stop",), **extra: Any) -> dict[str, Any]:
    """Every attribute a successful first-party call carries, read off the message the caller got."""
    usage = message.usage
    cache_read = usage.cache_read_input_tokens
    cache_creation = usage.cache_creation_input_tokens
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "gen_ai.request.stream": stream,
        "gen_ai.request.max_tokens": max_tokens,
        "gen_ai.response.id": message.id,
        "gen_ai.response.model": RESPONSE_MODEL,
        "gen_ai.response.finish_reasons": reasons,
        "gen_ai.usage.input_tokens": usage.input_tokens + (cache_read or 0) + (cache_creation or 0),
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": cache_read,
        "gen_ai.usage.cache_creation.input_tokens": cache_creation,
    }
    attrs.update(extra)
    attrs["genai_otel.cost.usd"] = cost_of("anthropic", RESPONSE_MODEL, attrs)
    return attrs


def expected_events(server: FakeLLMServer, events: list[Any], **extra: Any) -> dict[str, Any]:
    """``expected_span`` for raw stream events: ``message_start`` as sent, output tokens of the last
    ``message_delta``."""
    delta = next(e for e in reversed(events) if e.type == "message_delta")
    attrs = {**expected_span(server, events[0].message, stream=True, **extra),
             "gen_ai.usage.output_tokens": delta.usage.output_tokens}
    attrs["genai_otel.cost.usd"] = cost_of("anthropic", RESPONSE_MODEL, attrs)
    return attrs


def stream_fields(attrs: dict[str, Any], chunks: int) -> dict[str, Any]:
    """The stream-only attributes (timing is checked for type and sign, then dropped for exact comparison)."""
    first = attrs.pop("gen_ai.response.time_to_first_chunk")
    assert isinstance(first, float) and first >= 0.0
    assert attrs.pop("genai_otel.stream.ending") == "completed"
    assert attrs.pop("genai_otel.stream.chunk_count") == chunks
    return attrs


def test_create(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert type(message) is anthropic.types.Message
    span = telemetry.only_span()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attributes_of(span) == expected_span(server, message)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (8, 5)

    metric_base = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
                   "gen_ai.request.model": MODEL, "gen_ai.response.model": RESPONSE_MODEL,
                   "server.address": "127.0.0.1", "server.port": server.port}
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"] == metric_base and duration["count"] == 1 and duration["unit"] == "s"
    tokens = {p["attributes"]["gen_ai.token.type"]: p for p in telemetry.metric_points("gen_ai.client.token.usage")}
    assert {k: (p["count"], p["sum"]) for k, p in tokens.items()} == {"input": (1, 8), "output": (1, 5)}
    assert tokens["input"]["attributes"] == {**metric_base, "gen_ai.token.type": "input"}
    assert telemetry.metric_points("gen_ai.client.operation.time_to_first_chunk") == []


async def test_create_async(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, **directives(chunks=3))
    assert type(message) is anthropic.types.Message
    assert attributes_of(telemetry.only_span()) == expected_span(server, message)
    assert message.usage.output_tokens == 3


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_cache_tokens_are_part_of_input_tokens(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any,
                                               stream: bool) -> None:
    steer = directives(cached=40, cache_write=7)
    if stream:
        with client.messages.stream(model=MODEL, max_tokens=100, messages=USER, **steer) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(model=MODEL, max_tokens=100, messages=USER, **steer)
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens,
            message.usage.cache_creation_input_tokens) == (8, 40, 7)
    attrs = attributes_of(telemetry.only_span())
    if stream:
        attrs = stream_fields(attrs, chunks=10)
    assert attrs == expected_span(server, message, stream=stream)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_read.input_tokens"],
            attrs["gen_ai.usage.cache_creation.input_tokens"]) == (55, 40, 7)
    # claude-haiku-4-5, USD per million: input 1, cache read 0.10, 5-minute cache write 1.25, output 5
    assert attrs["genai_otel.cost.usd"] == pytest.approx((8 * 1.0 + 40 * 0.1 + 7 * 1.25 + 5 * 5.0) / 1e6)
    [input_point] = [p for p in telemetry.metric_points("gen_ai.client.token.usage")
                     if p["attributes"]["gen_ai.token.type"] == "input"]
    assert input_point["sum"] == 55


def test_request_parameters(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    # anthropic >= 1.0 takes sampling parameters only through extra_body; the span reads them there too
    message = client.messages.create(model=MODEL, max_tokens=50, messages=USER, stop_sequences=["END", "STOP"],
                                     extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 40})
    assert server.requests[-1].body["top_k"] == 40
    assert attributes_of(telemetry.only_span()) == expected_span(
        server, message, max_tokens=50, **{"gen_ai.request.stop_sequences": ("END", "STOP"),
                                           "gen_ai.request.temperature": 0.2, "gen_ai.request.top_p": 0.9,
                                           "gen_ai.request.top_k": 40})


@pytest.mark.skipif(not _TAKES_SAMPLING, reason=f"anthropic {anthropic.__version__} takes temperature and top_k "
                                                 "only through extra_body")
def test_request_parameters_as_keywords(client: anthropic.Anthropic, telemetry: Any) -> None:
    client.messages.create(model=MODEL, max_tokens=50, messages=USER, temperature=0.5, top_k=3)  # type: ignore[call-arg]
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["gen_ai.request.temperature"], attrs["gen_ai.request.top_k"]) == (0.5, 3)


@pytest.mark.parametrize("system", ["Be brief.", [{"type": "text", "text": "Be brief."}]], ids=["string", "blocks"])
def test_system_prompt(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any, system: Any) -> None:
    message = client.messages.create(model=MODEL, max_tokens=100, system=system, messages=USER)
    assert message.usage.input_tokens == (3 + 2) + 8
    assert attributes_of(telemetry.only_span()) == expected_span(server, message)


@pytest.mark.parametrize(("reason", "expected"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_call"),
    ("refusal", "content_filter"), ("pause_turn", "pause_turn"),
])  # fmt: skip
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_finish_reasons(client: anthropic.Anthropic, telemetry: Any, reason: str, expected: str,
                        stream: bool) -> None:
    steer = directives(finish=reason)
    if stream:
        events = list(client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True, **steer))
        assert events[-2].type == "message_delta" and events[-2].delta.stop_reason == reason
    else:
        assert client.messages.create(model=MODEL, max_tokens=100, messages=USER, **steer).stop_reason == reason
    attrs = attributes_of(telemetry.only_span())
    assert attrs["gen_ai.response.finish_reasons"] == (expected,)
    assert telemetry.only_span().status.status_code is StatusCode.UNSET


def test_tool_use(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=[WEATHER_TOOL],
                                     **directives(tool_calls=2))
    assert [block.type for block in message.content] == ["tool_use", "tool_use"]
    assert attributes_of(telemetry.only_span()) == expected_span(server, message, reasons=("tool_call",))


def test_tool_use_streamed_input_json(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    events = list(client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=[WEATHER_TOOL],
                                         stream=True, **directives(tool_calls=1)))
    fragments = [e.delta.partial_json for e in events if e.type == "content_block_delta"]
    assert len(fragments) > 2 and all(e.delta.type == "input_json_delta" for e in events
                                      if e.type == "content_block_delta")
    final = events[-2]
    assert final.type == "message_delta"
    start = events[0].message
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=len(events))
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attrs["gen_ai.usage.output_tokens"] == final.usage.output_tokens
    assert attrs["gen_ai.usage.input_tokens"] == start.usage.input_tokens
    assert start.usage.output_tokens != final.usage.output_tokens  # the placeholder is not what we report


def test_tool_use_through_stream_helper(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER, tools=[WEATHER_TOOL],
                                **directives(tool_calls=1)) as events:
        json_events = [e for e in events if e.type == "input_json"]
        message = events.get_final_message()
    assert json_events and message.content[0].input == json_events[-1].snapshot  # type: ignore[union-attr]
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=telemetry.only_span().attributes[
        "genai_otel.stream.chunk_count"])
    assert attrs == expected_span(server, message, stream=True, reasons=("tool_call",))


@pytest.mark.skipif(not _TAKES_THINKING, reason=f"anthropic {anthropic.__version__} has no extended thinking")
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_extended_thinking(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any, stream: bool) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    if stream:
        with client.messages.stream(model=MODEL, max_tokens=2000, messages=USER, thinking=thinking,  # type: ignore[arg-type]
                                    **directives(reasoning=6)) as events:
            kinds = {e.type for e in events}
            message = events.get_final_message()
        assert {"thinking", "signature"} <= kinds
    else:
        message = client.messages.create(model=MODEL, max_tokens=2000, messages=USER, thinking=thinking,  # type: ignore[arg-type]
                                         **directives(reasoning=6))
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.usage.output_tokens == 6 + 5
    attrs = attributes_of(telemetry.only_span())
    if stream:
        attrs = stream_fields(attrs, chunks=attrs["genai_otel.stream.chunk_count"])
    assert attrs == expected_span(server, message, stream=stream, max_tokens=2000)


def test_stream_true_reports_final_output_tokens(client: anthropic.Anthropic, server: FakeLLMServer,
                                                 telemetry: Any) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True, **directives(chunks=7))
    assert isinstance(stream, anthropic.Stream)
    events = list(stream)
    assert events[0].message.usage.output_tokens == 1 and events[-2].usage.output_tokens == 7
    attrs = attributes_of(telemetry.only_span())
    assert attrs["gen_ai.usage.output_tokens"] == 7
    assert stream_fields(attrs, chunks=12) == expected_events(server, events)

    [first] = telemetry.metric_points("gen_ai.client.operation.time_to_first_chunk")
    [per_chunk] = telemetry.metric_points("gen_ai.client.operation.time_per_output_chunk")
    # default GENAI_OTEL_CHUNK_TIMING=per_stream: one record per stream, the mean gap between the 12 events
    assert (first["count"], per_chunk["count"]) == (1, 1)
    tokens = {p["attributes"]["gen_ai.token.type"]: p["sum"] for p in telemetry.metric_points(
        "gen_ai.client.token.usage")}
    assert tokens == {"input": 8, "output": 7}


async def test_stream_true_async(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    assert isinstance(stream, anthropic.AsyncStream)
    events = [event async for event in stream]
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=len(events))
    assert attrs == expected_events(server, events)


class Weather(pydantic.BaseModel):
    city: str
    celsius: int


@pytest.mark.skipif(not _HAS_PARSE, reason=f"anthropic {anthropic.__version__} has no messages.parse")
def test_parse(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    parsed = client.messages.parse(model=MODEL, max_tokens=100, messages=USER, output_format=Weather)
    assert isinstance(parsed.parsed_output, Weather)
    assert attributes_of(telemetry.only_span()) == expected_span(server, parsed, **{"gen_ai.output.type": "json"})


@pytest.mark.skipif(not _HAS_PARSE, reason=f"anthropic {anthropic.__version__} has no messages.parse")
async def test_parse_async(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer, telemetry: Any) -> None:
    parsed = await aclient.messages.parse(model=MODEL, max_tokens=100, messages=USER, output_format=Weather)
    assert parsed.parsed_output == Weather(city="word0", celsius=1)
    assert attributes_of(telemetry.only_span()) == expected_span(server, parsed, **{"gen_ai.output.type": "json"})


def test_structured_output_by_schema(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    schema = {"type": "json_schema", "schema": Weather.model_json_schema()}
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER,
                                     extra_body={"output_config": {"format": schema}})
    assert message.content[0].text.startswith("{")  # type: ignore[union-attr]
    assert attributes_of(telemetry.only_span()) == expected_span(server, message, **{"gen_ai.output.type": "json"})


def test_beta_create(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = client.beta.messages.create(model=MODEL, max_tokens=100, messages=USER, extra_query={"beta": "true"})
    assert isinstance(message, anthropic.types.beta.BetaMessage)
    assert attributes_of(telemetry.only_span()) == expected_span(server, message)


async def test_beta_create_stream_async(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer,
                                        telemetry: Any) -> None:
    stream = await aclient.beta.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True,
                                                extra_query={"beta": "true"})
    events = [event async for event in stream]
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=len(events))
    assert attrs == expected_events(server, events)


@pytest.mark.skipif(not _HAS_BETA_STREAM, reason=f"anthropic {anthropic.__version__} has no beta.messages.stream")
def test_beta_stream_helper(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    with client.beta.messages.stream(model=MODEL, max_tokens=100, messages=USER,
                                     extra_query={"beta": "true"}) as events:
        text = "".join(events.text_stream)
        message = events.get_final_message()
    assert text == "word0 word1 word2 word3 word4"
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=10)
    assert attrs == expected_span(server, message, stream=True)


@pytest.mark.skipif(not _HAS_BETA_STREAM, reason=f"anthropic {anthropic.__version__} has no beta.messages.stream")
async def test_beta_stream_helper_async(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer,
                                        telemetry: Any) -> None:
    async with aclient.beta.messages.stream(model=MODEL, max_tokens=100, messages=USER,
                                            extra_query={"beta": "true"}) as events:
        message = await events.get_final_message()
    attrs = stream_fields(attributes_of(telemetry.only_span()), chunks=10)
    assert attrs == expected_span(server, message, stream=True)


@pytest.mark.skipif(not _HAS_BETA_PARSE, reason=f"anthropic {anthropic.__version__} has no beta.messages.parse")
def test_beta_parse(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    parsed = client.beta.messages.parse(model=MODEL, max_tokens=100, messages=USER, output_format=Weather,
                                        extra_query={"beta": "true"})
    assert isinstance(parsed.parsed_output, Weather)
    assert attributes_of(telemetry.only_span()) == expected_span(server, parsed, **{"gen_ai.output.type": "json"})


def test_max_tokens_cut(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = client.messages.create(model=MODEL, max_tokens=3, messages=USER)
    assert message.stop_reason == "max_tokens"
    assert attributes_of(telemetry.only_span()) == expected_span(server, message, max_tokens=3, reasons=("length",))
