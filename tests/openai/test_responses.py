"""The Responses API end to end: real openai SDK -> real HTTP -> fake LLM server, telemetry read back from the SDK.

``responses.create`` (sync, async, streamed), the ``responses.stream()`` helper, ``responses.parse``, every response
status, HTTP errors, stream endings, raw-response wrappers. Fetching (``retrieve``) is in ``test_responses_fetch``.
"""

from __future__ import annotations

import gc
from typing import Any

import openai
import pydantic
import pytest

from tests.openai.conftest import requires_responses_api

requires_responses_api()

from openai.types.responses import ParsedResponse  # noqa: E402 - only in SDKs with the Responses API
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from genai_otel.genai import semconv  # noqa: E402
from tests.openai.conftest import BROKEN_STREAM_ERRORS, directives, public_error_type  # noqa: E402

MODEL = "gpt-4o-mini"
DATED = "gpt-4o-mini-2024-07-18"
INPUT = "hi there"  # 3 + 2 = 5 input tokens on the fake server
EVENTS = 13  # created, in_progress, item added, part added, 5 deltas, text done, part done, item done, completed
TOOLS = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]


class Answer(pydantic.BaseModel):
    city: str
    degrees: int


def _attrs(span: Any, fake_llm: Any, *, stream: bool) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"chat {MODEL}"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])
    assert attrs["gen_ai.request.stream"] is stream
    assert attrs["openai.api.type"] == "responses"
    return attrs


def test_create_records_request_response_usage_and_metrics(client: openai.OpenAI, telemetry: Any,
                                                           fake_llm: Any) -> None:
    response = client.responses.create(
        model=MODEL, input=INPUT, instructions="Be terse.", temperature=0.25, top_p=0.5, max_output_tokens=64,
        service_tier="flex", conversation="conv_abc123",
        text={"format": {"type": "json_schema", "name": "answer", "schema": Answer.model_json_schema()}},
        **directives(cached=2, reasoning=3),
    )
    assert type(response) is openai.types.responses.Response
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert attrs["gen_ai.request.temperature"] == 0.25
    assert attrs["gen_ai.request.top_p"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["openai.request.service_tier"] == "flex"
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.conversation.id"] == "conv_abc123"
    assert attrs["gen_ai.response.id"] == response.id
    assert attrs["gen_ai.response.model"] == DATED
    assert attrs["gen_ai.response.status"] == "completed"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == response.usage.input_tokens == 5 + 5 + 2  # input, instructions, cached
    assert attrs["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 2
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 3
    assert attrs["openai.response.service_tier"] == "flex"
    assert isinstance(attrs["gen_ai.usage.output_tokens"], int)
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs and "gen_ai.response.time_to_first_chunk" not in attrs

    metric_attrs = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": MODEL,
        "gen_ai.response.model": DATED, "server.address": "127.0.0.1", "server.port": attrs["server.port"],
    }
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"] == metric_attrs and duration["count"] == 1
    assert duration["bounds"] == semconv.DURATION_BUCKETS
    tokens = {p["attributes"]["gen_ai.token.type"]: p for p in telemetry.metric_points("gen_ai.client.token.usage")}
    assert {kind: p["sum"] for kind, p in tokens.items()} == {"input": 12, "output": response.usage.output_tokens}
    assert tokens["input"]["attributes"] == {**metric_attrs, "gen_ai.token.type": "input"}


async def test_async_create(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any, tracer: Any) -> None:
    with tracer.start_as_current_span("parent") as parent:
        response = await aclient.responses.create(model=MODEL, input=INPUT)
    assert type(response) is openai.types.responses.Response
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert span.parent.span_id == parent.get_span_context().span_id
    assert attrs["gen_ai.response.id"] == response.id
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 5)
    assert "gen_ai.output.type" not in attrs and "openai.request.service_tier" not in attrs


def test_tool_calls_and_reasoning_items(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    response = client.responses.create(model=MODEL, input=INPUT, tools=TOOLS, **directives(tool_calls=2, reasoning=4))
    assert [item.type for item in response.output] == ["reasoning", "function_call", "function_call"]
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 4
    assert attrs["gen_ai.usage.output_tokens"] == response.usage.output_tokens


# status -> (finish reasons, span status, error.type, usage reported)
STATUSES = {
    "completed": (("stop",), StatusCode.UNSET, None, True),
    "incomplete": (("length",), StatusCode.UNSET, None, True),
    "failed": (("error",), StatusCode.ERROR, "server_error", False),
    "cancelled": (("cancelled",), StatusCode.UNSET, None, False),
    "queued": (None, StatusCode.UNSET, None, False),
    "in_progress": (None, StatusCode.UNSET, None, False),
}


@pytest.mark.parametrize("status", list(STATUSES))
def test_every_status_is_reported(client: openai.OpenAI, telemetry: Any, fake_llm: Any, status: str) -> None:
    response = client.responses.create(model=MODEL, input=INPUT, **directives(response_status=status))
    assert response.status == status
    reasons, code, error_type, has_usage = STATUSES[status]
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert attrs["gen_ai.response.status"] == status
    assert attrs["gen_ai.response.id"] == response.id
    assert attrs.get("gen_ai.response.finish_reasons") == reasons
    assert span.status.status_code is code
    assert attrs.get("error.type") == error_type
    assert ("gen_ai.usage.input_tokens" in attrs) is has_usage
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"].get("error.type") == error_type
    if status == "failed":
        assert span.status.description == "The model failed to generate a response."
        assert span.events == ()  # a failed generation is not an exception


def test_max_output_tokens_reached_is_incomplete_with_length(client: openai.OpenAI, telemetry: Any,
                                                             fake_llm: Any) -> None:
    response = client.responses.create(model=MODEL, input=INPUT, max_output_tokens=2)
    assert response.incomplete_details.reason == "max_output_tokens"
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.response.status"] == "incomplete"
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert attrs["gen_ai.request.max_tokens"] == 2
    assert attrs["gen_ai.usage.output_tokens"] == 2


@pytest.mark.parametrize(("status", "terminal", "code"), [
    ("completed", "response.completed", StatusCode.UNSET),
    ("incomplete", "response.incomplete", StatusCode.UNSET),
    ("failed", "response.failed", StatusCode.ERROR),
])
def test_stream_ends_on_its_terminal_event(client: openai.OpenAI, telemetry: Any, fake_llm: Any, status: str,
                                           terminal: str, code: StatusCode) -> None:
    stream = client.responses.create(model=MODEL, input=INPUT, stream=True, **directives(response_status=status))
    assert isinstance(stream, openai.Stream)
    events = [event.type for event in stream]
    assert events[-1] == terminal
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert span.status.status_code is code
    assert attrs["gen_ai.response.status"] == status
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == len(events)
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0
    assert attrs.get("error.type") == ("server_error" if status == "failed" else None)
    assert len(telemetry.metric_points("gen_ai.client.operation.time_to_first_chunk")) == 1


def test_terminal_event_ends_the_span_though_the_caller_stops_reading(client: openai.OpenAI, telemetry: Any,
                                                                      fake_llm: Any) -> None:
    stream = client.responses.create(model=MODEL, input=INPUT, stream=True)
    for event in stream:
        if event.type == "response.completed":
            break
    span = telemetry.only_span()  # ended already: not left for close() or the garbage collector
    attrs = _attrs(span, fake_llm, stream=True)
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == EVENTS
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 5)
    stream.close()
    del stream
    gc.collect()
    assert len(telemetry.genai_spans()) == 1


async def test_async_stream(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    stream = await aclient.responses.create(model=MODEL, input=INPUT, stream=True, **directives(cached=1))
    assert isinstance(stream, openai.AsyncStream)
    events = [event async for event in stream]
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=True)
    assert len(events) == EVENTS == attrs["genai_otel.stream.chunk_count"]
    assert attrs["gen_ai.response.id"] == events[-1].response.id
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_read.input_tokens"]) == (6, 1)


def test_stream_closed_early_keeps_what_it_saw(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    stream = client.responses.create(model=MODEL, input=INPUT, stream=True)
    first = next(stream)
    next(stream)
    stream.close()
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["genai_otel.stream.ending"] == "closed"
    assert attrs["genai_otel.stream.chunk_count"] == 2
    assert attrs["gen_ai.response.id"] == first.response.id
    assert attrs["gen_ai.response.status"] == "in_progress"
    assert "gen_ai.response.finish_reasons" not in attrs and "gen_ai.usage.input_tokens" not in attrs


def test_stream_cut_mid_way_is_an_error(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    stream = client.responses.create(model=MODEL, input=INPUT, stream=True, **directives(break_after=2))
    seen = 0
    with pytest.raises(BROKEN_STREAM_ERRORS) as raised:
        for _ in stream:
            seen += 1
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == public_error_type(raised.value)
    assert attrs["genai_otel.stream.ending"] == "error"
    assert attrs["genai_otel.stream.chunk_count"] == seen == 6
    assert "gen_ai.usage.input_tokens" not in attrs


@pytest.mark.parametrize(("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError),
                                               (400, openai.BadRequestError)])
def test_http_errors(client: openai.OpenAI, telemetry: Any, fake_llm: Any, status: int, error: type) -> None:
    with pytest.raises(error):
        client.responses.create(model=MODEL, input=INPUT, **directives(status=status))
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == f"openai.{error.__name__}"
    assert [e.name for e in span.events] == ["exception"]
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["error.type"] == f"openai.{error.__name__}"
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


async def test_async_http_error(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    with pytest.raises(openai.RateLimitError):
        await aclient.responses.create(model=MODEL, input=INPUT, stream=True, **directives(status=429))
    span = telemetry.only_span()
    assert _attrs(span, fake_llm, stream=True)["error.type"] == "openai.RateLimitError"


def test_stream_helper_is_one_span(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    with client.responses.stream(model=MODEL, input=INPUT, text_format=Answer) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_response()
    assert isinstance(final, ParsedResponse) and final.output_parsed == Answer(city="word0", degrees=1)
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == final.id
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert events[-1] == "response.completed"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (
        final.usage.input_tokens, final.usage.output_tokens)


async def test_async_stream_helper_left_early(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    async with aclient.responses.stream(model=MODEL, input=INPUT) as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert attrs["genai_otel.stream.ending"] == "closed"
    assert span.status.status_code is StatusCode.UNSET


def test_parse(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    parsed = client.responses.parse(model=MODEL, input=INPUT, text_format=Answer)
    assert isinstance(parsed, ParsedResponse) and parsed.output_parsed == Answer(city="word0", degrees=1)
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == parsed.id
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)


async def test_async_parse(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    parsed = await aclient.responses.parse(model=MODEL, input=INPUT, text_format=Answer)
    assert parsed.output_parsed == Answer(city="word0", degrees=1)
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.usage.output_tokens"] == parsed.usage.output_tokens


def test_raw_and_streaming_response_wrappers(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    raw = client.responses.with_raw_response.create(model=MODEL, input=INPUT)
    assert raw.headers["x-request-id"]
    response = raw.parse()
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.response.id"] == response.id
    telemetry.clear()

    with client.responses.with_streaming_response.create(model=MODEL, input=INPUT, stream=True) as streamed:
        events = list(streamed.parse())
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=True)
    assert attrs["genai_otel.stream.chunk_count"] == len(events) == EVENTS
    assert attrs["gen_ai.response.status"] == "completed"


def test_background_create_reports_queued(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    response = client.responses.create(model=MODEL, input=INPUT, background=True)
    assert response.status == "queued"
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert attrs["gen_ai.response.status"] == "queued"
    assert "gen_ai.response.finish_reasons" not in attrs and "gen_ai.usage.input_tokens" not in attrs
    assert span.status.status_code is StatusCode.UNSET


def test_background_stream_goes_through_queued(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    events = [e.type for e in client.responses.create(model=MODEL, input=INPUT, background=True, stream=True)]
    assert events[:3] == ["response.created", "response.queued", "response.in_progress"]
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=True)
    assert attrs["gen_ai.response.status"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == len(events) == EVENTS + 1
