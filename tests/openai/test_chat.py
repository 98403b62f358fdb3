"""Chat completions end to end: real openai SDK -> real HTTP -> fake LLM server, telemetry read back from the SDK."""

from __future__ import annotations

from typing import Any

import openai
import pydantic
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from genai_otel.genai import semconv
from tests.openai.conftest import accepts, chat_helpers, directives

MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello to the tests"}]
MODEL = "gpt-4o-mini"


def _base_expectations(span: Any, fake_llm: Any, *, stream: bool) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"chat {MODEL}"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])
    assert attrs["gen_ai.request.stream"] is stream
    assert attrs["openai.api.type"] == "chat_completions"
    return attrs


def test_create_records_request_response_and_usage(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    create = client.chat.completions.create
    # max_completion_tokens (openai >= 1.45, else max_tokens) and service_tier (>= 1.3x) where the SDK takes them
    newer = {name: value for name, value in (("max_completion_tokens", 64), ("service_tier", "flex"))
             if accepts(create, name)}
    if "max_completion_tokens" not in newer:
        newer["max_tokens"] = 64
    completion = create(
        model=MODEL, messages=MESSAGES, temperature=0.25, top_p=0.5, frequency_penalty=0.1, presence_penalty=0.2,
        stop="END", seed=7, **newer, **directives(cached=3, reasoning=2),
    )
    assert type(completion) is openai.types.chat.ChatCompletion
    span = telemetry.only_span()
    attrs = _base_expectations(span, fake_llm, stream=False)
    assert attrs["gen_ai.request.temperature"] == 0.25
    assert attrs["gen_ai.request.top_p"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.frequency_penalty"] == 0.1
    assert attrs["gen_ai.request.presence_penalty"] == 0.2
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.seed"] == 7
    if "service_tier" in newer:
        assert attrs["openai.request.service_tier"] == "flex"
    assert "gen_ai.request.choice.count" not in attrs
    assert "gen_ai.output.type" not in attrs
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gen_ai.response.model"] == completion.model
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 3
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 2
    assert attrs["openai.response.service_tier"] == completion.service_tier
    assert attrs["openai.response.system_fingerprint"] == completion.system_fingerprint
    assert isinstance(attrs["gen_ai.usage.input_tokens"], int)
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.time_to_first_chunk" not in attrs

    metric_attrs = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": MODEL,
        "gen_ai.response.model": completion.model, "server.address": "127.0.0.1", "server.port": attrs["server.port"],
    }
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"] == metric_attrs
    assert duration["unit"] == "s"
    assert duration["count"] == 1
    assert duration["bounds"] == semconv.DURATION_BUCKETS
    tokens = {p["attributes"]["gen_ai.token.type"]: p for p in telemetry.metric_points("gen_ai.client.token.usage")}
    assert set(tokens) == {"input", "output"}
    assert tokens["input"]["sum"] == completion.usage.prompt_tokens
    assert tokens["output"]["sum"] == completion.usage.completion_tokens
    assert tokens["input"]["unit"] == "{token}"
    assert tokens["input"]["bounds"] == semconv.TOKEN_BUCKETS
    assert tokens["input"]["attributes"] == {**metric_attrs, "gen_ai.token.type": "input"}
    assert telemetry.metric_points("gen_ai.client.operation.time_to_first_chunk") == []


async def test_async_create(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    completion = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, n=2, max_tokens=10)
    span = telemetry.only_span()
    attrs = _base_expectations(span, fake_llm, stream=False)
    assert attrs["gen_ai.request.choice.count"] == 2
    assert attrs["gen_ai.request.max_tokens"] == 10
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert attrs["gen_ai.response.id"] == completion.id
    assert len(completion.choices) == 2


def test_stream_with_usage(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True}, **directives(chunks=20))
    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200
    chunks = list(stream)
    assert telemetry.genai_spans() == [] or len(telemetry.genai_spans()) == 1
    span = telemetry.only_span()
    attrs = _base_expectations(span, fake_llm, stream=True)
    usage = chunks[-1].usage
    assert usage is not None
    assert attrs["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == usage.completion_tokens
    assert attrs["gen_ai.response.id"] == chunks[0].id
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == len(chunks)
    assert 0 < attrs["gen_ai.response.time_to_first_chunk"] < 5
    assert span.status.status_code is StatusCode.UNSET
    [ttfc] = telemetry.metric_points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc["count"] == 1 and ttfc["bounds"] == semconv.DURATION_BUCKETS
    [per_chunk] = telemetry.metric_points("gen_ai.client.operation.time_per_output_chunk")
    assert per_chunk["count"] == 1  # default: one record per stream, the mean gap between chunks
    assert per_chunk["attributes"]["gen_ai.response.model"] == chunks[0].model
    stream_seconds = (span.end_time - span.start_time) / 1e9
    assert 0 < per_chunk["sum"] < stream_seconds


def test_time_per_output_chunk_per_chunk_mode(fake_llm: Any, telemetry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_otel.instrumentation.openai import OpenAIInstrumentor
    from tests.conftest import FAKE_API_KEY, METER_PROVIDER, TRACER_PROVIDER

    OpenAIInstrumentor().uninstrument()
    monkeypatch.setenv("GENAI_OTEL_CHUNK_TIMING", "PER_CHUNK")
    OpenAIInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    try:
        with openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0) as client:
            chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                         **directives(chunks=12, chunk_delay_ms=5)))
    finally:
        OpenAIInstrumentor().uninstrument()
        monkeypatch.delenv("GENAI_OTEL_CHUNK_TIMING")
        OpenAIInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    [per_chunk] = telemetry.metric_points("gen_ai.client.operation.time_per_output_chunk")
    assert per_chunk["count"] == len(chunks) - 1
    assert per_chunk["sum"] >= 0.005 * (len(chunks) - 3)


def test_stream_span_lasts_until_the_stream_ends(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            **directives(chunks=5, chunk_delay_ms=40))
    assert telemetry.genai_spans() == []  # create() returned; the span is still open
    for _ in stream:
        pass
    span = telemetry.only_span()
    assert (span.end_time - span.start_time) / 1e9 >= 0.15
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["sum"] >= 0.15


def test_streamed_tool_calls(client: openai.OpenAI, telemetry: Any) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=tools, stream=True,
                                            **directives(tool_calls=2))
    deltas = [tc for chunk in stream for c in chunk.choices for tc in (c.delta.tool_calls or [])]
    assert len({d.index for d in deltas}) == 2
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)


def test_tool_calls_non_stream(client: openai.OpenAI, telemetry: Any) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, **directives(tool_calls=1))
    assert completion.choices[0].message.tool_calls
    assert dict(telemetry.only_span().attributes)["gen_ai.response.finish_reasons"] == ("tool_call",)


class Answer(pydantic.BaseModel):
    city: str
    degrees: int


def test_parse_with_pydantic_model(client: openai.OpenAI, telemetry: Any) -> None:
    completion = chat_helpers(client).parse(model=MODEL, messages=MESSAGES, response_format=Answer)
    assert isinstance(completion.choices[0].message.parsed, Answer)
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == completion.id


def test_json_object_output_type(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model=MODEL, messages=MESSAGES, response_format={"type": "json_object"})
    assert dict(telemetry.only_span().attributes)["gen_ai.output.type"] == "json"


def test_stream_helper_one_span(client: openai.OpenAI, telemetry: Any) -> None:
    with chat_helpers(client).stream(model=MODEL, messages=MESSAGES, response_format=Answer,
                                     stream_options={"include_usage": True}) as stream:
        final = stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Answer)
    span = telemetry.only_span()
    attrs = dict(span.attributes)
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == final.id
    assert attrs["gen_ai.usage.output_tokens"] == final.usage.completion_tokens
    assert attrs["genai_otel.stream.ending"] == "completed"


def test_stream_helper_left_early(client: openai.OpenAI, telemetry: Any) -> None:
    with chat_helpers(client).stream(model=MODEL, messages=MESSAGES, **directives(chunks=50)) as stream:
        for event in stream:
            if event.type == "content.delta":
                break
        assert telemetry.genai_spans() == []
    span = telemetry.only_span()
    assert dict(span.attributes)["genai_otel.stream.ending"] == "closed"
    assert span.status.status_code is StatusCode.UNSET


async def test_async_stream_helper(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    async with chat_helpers(aclient).stream(model=MODEL, messages=MESSAGES) as stream:
        async for _ in stream:
            pass
    assert dict(telemetry.only_span().attributes)["genai_otel.stream.ending"] == "completed"


def test_with_raw_response(client: openai.OpenAI, telemetry: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    span = telemetry.only_span()  # ended when the call returned, before parse()
    completion = raw.parse()
    assert raw.parse() is completion
    assert dict(span.attributes)["gen_ai.response.id"] == completion.id
    assert raw.headers.get("content-type", "").startswith("application/json")


def test_with_raw_response_stream(client: openai.OpenAI, telemetry: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES, stream=True)
    stream = raw.parse()
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.response.id"] == chunks[0].id
    assert attrs["genai_otel.stream.ending"] == "completed"


def test_with_streaming_response(client: openai.OpenAI, telemetry: Any) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=MESSAGES) as response:
        completion = response.parse()
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens


def test_with_streaming_response_stream_left_unread(client: openai.OpenAI, telemetry: Any) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=MESSAGES, stream=True) as r:
        assert r.http_response.status_code == 200
    span = telemetry.only_span()
    assert dict(span.attributes)["genai_otel.stream.ending"] == "closed"


async def test_async_with_streaming_response_stream(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    async with aclient.chat.completions.with_streaming_response.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}) as response:
        stream = await response.parse()
        chunks = [chunk async for chunk in stream]
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens
    assert attrs["genai_otel.stream.ending"] == "completed"


@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [(429, openai.RateLimitError, "openai.RateLimitError"),
     (500, openai.InternalServerError, "openai.InternalServerError"),
     (400, openai.BadRequestError, "openai.BadRequestError")],
)
def test_http_errors(client: openai.OpenAI, telemetry: Any, status: int, exception: type, error_type: str) -> None:
    with pytest.raises(exception) as raised:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, **directives(status=status))
    span = telemetry.only_span()
    attrs = dict(span.attributes)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(raised.value)
    assert attrs["error.type"] == error_type
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.type"].endswith(type(raised.value).__name__)
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["error.type"] == error_type
    assert "gen_ai.response.model" not in duration["attributes"]
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


def _failing_call(client: openai.OpenAI) -> BaseException:
    try:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, **directives(status=429))
    except openai.APIStatusError as exc:
        return exc
    raise AssertionError("the fake server was told to answer 429")


def test_exception_is_what_the_sdk_raises_uninstrumented(client: openai.OpenAI, telemetry: Any) -> None:
    from genai_otel.instrumentation.openai import OpenAIInstrumentor
    from tests.conftest import METER_PROVIDER, TRACER_PROVIDER

    instrumented = _failing_call(client)
    OpenAIInstrumentor().uninstrument()
    try:
        plain = _failing_call(client)
    finally:
        OpenAIInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    assert type(instrumented) is type(plain) is openai.RateLimitError
    assert str(instrumented) == str(plain)
    assert instrumented.body == plain.body
    assert instrumented.status_code == plain.status_code == 429
    assert type(instrumented.__cause__) is type(plain.__cause__)
    assert type(instrumented.__context__) is type(plain.__context__)
    assert len(telemetry.genai_spans()) == 1


def test_nests_under_the_callers_span(client: openai.OpenAI, telemetry: Any, tracer: Any) -> None:
    with tracer.start_as_current_span("handler") as parent:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    span = telemetry.only_span()
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context.trace_id == parent.get_span_context().trace_id
