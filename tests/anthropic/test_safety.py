"""Telemetry never changes the application: exceptions, types, context, uninstrument, internal errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anthropic
import pytest
import wrapt
from anthropic.resources.messages import AsyncMessages, Messages
from opentelemetry.trace import StatusCode

from genai_otel.genai import _safety
from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
from genai_otel.instrumentation.anthropic.adapter import MessagesSurface
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.anthropic.conftest import HTTPX, MODEL, USER, attributes_of, directives
from tests.conftest import FAKE_ANTHROPIC_KEY, METER_PROVIDER, TRACER_PROVIDER


class Stop(BaseException):
    """Raised by the application's own HTTP hook: the SDK lets it through, and so must we."""


def _stop_hook(boom: Stop) -> Any:
    def hook(_request: Any) -> None:
        raise boom

    return hook


def test_caller_exception_is_the_same_object(server: FakeLLMServer, telemetry: Any) -> None:
    boom = Stop("from the application")
    http_client = HTTPX.Client(event_hooks={"request": [_stop_hook(boom)]})
    client = anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=0,
                                 http_client=http_client)
    with pytest.raises(Stop) as raised:
        client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert raised.value is boom
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert attributes_of(span)["error.type"] == "tests.anthropic.test_safety.Stop"
    client.close()


async def test_caller_exception_is_the_same_object_async(server: FakeLLMServer, telemetry: Any) -> None:
    boom = Stop("from the application")

    async def hook(_request: Any) -> None:
        raise boom

    http_client = HTTPX.AsyncClient(event_hooks={"request": [hook]})
    client = anthropic.AsyncAnthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url,
                                      max_retries=0, http_client=http_client)
    with pytest.raises(Stop) as raised:
        async with client.messages.stream(model=MODEL, max_tokens=100, messages=USER):
            pass
    assert raised.value is boom
    assert telemetry.only_span().status.status_code is StatusCode.ERROR
    await client.close()


@pytest.mark.parametrize(("status", "error"), [
    (400, anthropic.BadRequestError), (401, anthropic.AuthenticationError), (429, anthropic.RateLimitError),
    (500, anthropic.InternalServerError), (529, anthropic.APIStatusError),
])  # fmt: skip
def test_api_errors(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any, status: int,
                    error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        client.messages.create(model=MODEL, max_tokens=100, messages=USER, **directives(status=status))
    assert raised.value.status_code == status  # type: ignore[attr-defined]
    span = telemetry.only_span()
    attrs = attributes_of(span)
    expected_type = f"anthropic.{type(raised.value).__name__}"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(raised.value)
    assert attrs == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1", "server.port": server.port, "gen_ai.request.stream": False,
        "gen_ai.request.max_tokens": 100, "error.type": expected_type,
    }
    [event] = span.events
    assert (event.name, event.attributes["exception.type"]) == ("exception", expected_type)
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["error.type"] == expected_type
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


async def test_api_error_async(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    with pytest.raises(anthropic.RateLimitError):
        await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, **directives(status=429))
    assert attributes_of(telemetry.only_span())["error.type"] == "anthropic.RateLimitError"


def test_connection_error(client: anthropic.Anthropic, telemetry: Any) -> None:
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=100, messages=USER, **directives(break_after=0))
    assert attributes_of(telemetry.only_span())["error.type"] == "anthropic.APIConnectionError"


def test_retries_make_one_span(client: anthropic.Anthropic, server: FakeLLMServer, telemetry: Any) -> None:
    message = client.with_options(max_retries=2).messages.create(
        model=MODEL, max_tokens=100, messages=USER, **directives(fail_first=2, retry_after_ms=1))
    assert len(server.requests) == 3
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.UNSET
    assert attributes_of(span)["gen_ai.response.id"] == message.id


def test_sdk_types_unchanged(client: anthropic.Anthropic, telemetry: Any) -> None:
    assert type(client.messages.create(model=MODEL, max_tokens=100, messages=USER)) is anthropic.types.Message
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    assert isinstance(stream, anthropic.Stream)
    assert all(type(event).__module__.startswith("anthropic.types") for event in stream)
    manager = client.messages.stream(model=MODEL, max_tokens=100, messages=USER)
    assert type(manager) is anthropic.lib.streaming.MessageStreamManager
    with manager as helper_stream:
        assert type(helper_stream) is anthropic.lib.streaming.MessageStream
        assert isinstance(helper_stream.get_final_message(), anthropic.types.Message)
    assert len(telemetry.genai_spans()) == 3


def test_nests_under_the_callers_span(client: anthropic.Anthropic, telemetry: Any, tracer: Any) -> None:
    with tracer.start_as_current_span("caller") as parent:
        client.messages.create(model=MODEL, max_tokens=100, messages=USER)
        with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
            stream.until_done()
    spans = telemetry.genai_spans()
    assert len(spans) == 2
    for span in spans:
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
        assert span.context.trace_id == parent.get_span_context().trace_id


async def test_concurrent_tasks_nest_under_their_own_parents(aclient: anthropic.AsyncAnthropic, telemetry: Any,
                                                             tracer: Any) -> None:
    async def one(i: int) -> int:
        with tracer.start_as_current_span(f"task-{i}") as parent:
            if i % 2:
                await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER,
                                              **directives(delay_ms=20))
            else:
                async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER,
                                                   **directives(chunk_delay_ms=2)) as stream:
                    await stream.until_done()
            return parent.get_span_context().span_id  # type: ignore[no-any-return]

    parents = set(await asyncio.gather(*(one(i) for i in range(16))))
    spans = telemetry.genai_spans()
    assert len(spans) == 16
    assert {span.parent.span_id for span in spans} == parents


def _originals() -> dict[str, Any]:
    """Every SDK attribute the instrumentation may patch, as it is now."""
    import anthropic._base_client
    import anthropic._streaming

    found = {f"{cls.__name__}.{name}": cls.__dict__[name] for cls in (Messages, AsyncMessages)
             for name in ("create", "stream", "parse") if name in cls.__dict__}
    if hasattr(anthropic._base_client, "start_api_call_span"):  # the SDK's own spans (anthropic >= 1.14)
        found["start_api_call_span"] = anthropic._base_client.start_api_call_span
    for meta in ("_SyncStreamMeta", "_AsyncStreamMeta"):  # anthropic 0.x
        metaclass = getattr(anthropic._streaming, meta, None)
        if metaclass is not None:
            found[f"{meta}.__instancecheck__"] = vars(metaclass)["__instancecheck__"]
    return found


def test_uninstrument_restores_the_sdk_exactly(client: anthropic.Anthropic, telemetry: Any) -> None:
    wrapped = _originals()
    assert all(isinstance(function, wrapt.FunctionWrapper) for function in wrapped.values())
    AnthropicInstrumentor().uninstrument()
    try:
        restored = _originals()
        for name, function in restored.items():
            assert not isinstance(function, wrapt.FunctionWrapper), name
            assert wrapped[name].__wrapped__ is function, name
        client.messages.create(model=MODEL, max_tokens=100, messages=USER)
        with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
            stream.until_done()
        assert telemetry.genai_spans() == []
    finally:
        AnthropicInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert len(telemetry.genai_spans()) == 1


def test_instrumenting_twice_is_a_no_op(client: anthropic.Anthropic, telemetry: Any) -> None:
    before = _originals()
    AnthropicInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    assert _originals() == before
    client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert len(telemetry.genai_spans()) == 1


def test_internal_errors_are_swallowed_counted_and_logged_once(
        client: anthropic.Anthropic, telemetry: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("adapter bug")

    monkeypatch.setattr(MessagesSurface, "request", broken)
    _safety.raise_internal_errors(False)
    before = _safety.error_counts().get("request", 0)
    try:
        with caplog.at_level(logging.ERROR, logger="genai_otel"):
            first = client.messages.create(model=MODEL, max_tokens=100, messages=USER)
            with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
                second = stream.get_final_message()
    finally:
        _safety.raise_internal_errors(True)
    assert type(first) is anthropic.types.Message and isinstance(second, anthropic.types.Message)
    assert telemetry.genai_spans() == []
    assert _safety.error_counts()["request"] == before + 2
    assert len([r for r in caplog.records if "internal error in request" in r.getMessage()]) <= 1
