"""Every way an Anthropic stream ends closes its span exactly once, with the right status, for ``create(stream=True)``
and the ``messages.stream(...)`` helper, sync and async."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import anthropic
import pytest
from anthropic.lib.streaming import AsyncMessageStream, MessageStream
from opentelemetry.trace import StatusCode

from genai_otel.genai.recorder import error_type_of
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.anthropic.conftest import MODEL, USER, attributes_of, directives


def ending(telemetry: Any) -> tuple[str, StatusCode, dict[str, Any]]:
    span = telemetry.only_span()
    attrs = attributes_of(span)
    return attrs["genai_otel.stream.ending"], span.status.status_code, attrs


def one_duration_point(telemetry: Any) -> dict[str, Any]:
    [point] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert point["count"] == 1
    return point


def create_stream(client: anthropic.Anthropic, **steer: Any) -> Any:
    return client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True, **directives(**steer))


# --- create(stream=True) ---------------------------------------------------------------------------------------


def test_consumed(client: anthropic.Anthropic, telemetry: Any) -> None:
    stream = create_stream(client, chunks=10)
    events = list(stream)
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("completed", StatusCode.UNSET)
    assert attrs["genai_otel.stream.chunk_count"] == len(events) == 15
    assert attrs["gen_ai.usage.output_tokens"] == 10
    list(stream)  # iterating again after the end changes nothing
    assert len(telemetry.genai_spans()) == 1
    one_duration_point(telemetry)


def test_break_then_close(client: anthropic.Anthropic, telemetry: Any) -> None:
    stream = create_stream(client, chunks=50)
    for _ in stream:
        break
    assert telemetry.genai_spans() == []
    stream.close()
    stream.close()
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("closed", StatusCode.UNSET)
    assert attrs["genai_otel.stream.chunk_count"] == 1
    assert attrs["gen_ai.usage.input_tokens"] == 8  # message_start said so
    assert "gen_ai.usage.output_tokens" not in attrs  # its output count is a placeholder; message_delta never came
    assert "gen_ai.response.finish_reasons" not in attrs
    one_duration_point(telemetry)


def test_context_manager_left_early(client: anthropic.Anthropic, telemetry: Any) -> None:
    with create_stream(client, chunks=50) as stream:
        assert isinstance(stream, anthropic.Stream)
        next(iter(stream))
    assert ending(telemetry)[:2] == ("closed", StatusCode.UNSET)
    one_duration_point(telemetry)


def test_abandoned_and_collected(client: anthropic.Anthropic, telemetry: Any) -> None:
    stream = create_stream(client, chunks=50)
    next(stream)
    assert telemetry.genai_spans() == []
    del stream
    gc.collect()
    assert ending(telemetry)[:2] == ("abandoned", StatusCode.UNSET)
    one_duration_point(telemetry)


def test_server_drops_mid_stream(client: anthropic.Anthropic, telemetry: Any) -> None:
    stream = create_stream(client, chunks=20, break_after=3)
    seen = []
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever the SDK raises must reach the caller as is
        for event in stream:
            seen.append(event)
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("error", StatusCode.ERROR)
    assert attrs["error.type"] == error_type_of(raised.value)
    assert attrs["genai_otel.stream.chunk_count"] == len(seen)
    [event] = [e for e in telemetry.only_span().events if e.name == "exception"]
    assert event.attributes["exception.type"] == error_type_of(raised.value)
    assert one_duration_point(telemetry)["attributes"]["error.type"] == error_type_of(raised.value)


async def test_async_consumed(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    events = [event async for event in stream]
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("completed", StatusCode.UNSET)
    assert attrs["genai_otel.stream.chunk_count"] == len(events)


async def test_async_break_then_close(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True,
                                           **directives(chunks=50))
    async for _ in stream:
        break
    assert telemetry.genai_spans() == []
    await stream.close()
    assert ending(telemetry)[:2] == ("closed", StatusCode.UNSET)
    one_duration_point(telemetry)


async def test_async_context_manager_left_early(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True,
                                           **directives(chunks=50))
    async with stream as entered:
        assert entered is stream
        assert isinstance(entered, anthropic.AsyncStream)
        async for _ in entered:
            break
    assert ending(telemetry)[:2] == ("closed", StatusCode.UNSET)


async def test_async_server_drops_mid_stream(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True,
                                           **directives(chunks=20, break_after=2))
    with pytest.raises(Exception) as raised:  # noqa: PT011
        async for _ in stream:
            pass
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("error", StatusCode.ERROR)
    assert attrs["error.type"] == error_type_of(raised.value)


async def test_task_cancelled_while_waiting_for_a_chunk(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True,
                                           **directives(chunks=20, chunk_delay_ms=300))
    first = asyncio.Event()

    async def read() -> None:
        async for _ in stream:
            first.set()

    task = asyncio.create_task(read())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("cancelled", StatusCode.ERROR)
    assert attrs["error.type"] == "asyncio.CancelledError"
    await stream.close()
    assert len(telemetry.genai_spans()) == 1
    one_duration_point(telemetry)


# --- messages.stream(...) helper -------------------------------------------------------------------------------


def helper(client: anthropic.Anthropic, **steer: Any) -> Any:
    return client.messages.stream(model=MODEL, max_tokens=100, messages=USER, **directives(**steer))


def test_helper_text_stream(client: anthropic.Anthropic, telemetry: Any) -> None:
    with helper(client, chunks=4) as stream:
        assert type(stream) is MessageStream
        assert telemetry.genai_spans() == []  # the request is out, the span is open
        assert "".join(stream.text_stream) == "word0 word1 word2 word3"
        name, status, attrs = ending(telemetry)  # ended by the raw stream's end, inside the block
    assert (name, status) == ("completed", StatusCode.UNSET)
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert len(telemetry.genai_spans()) == 1
    one_duration_point(telemetry)


def test_helper_get_final_message(client: anthropic.Anthropic, telemetry: Any) -> None:
    with helper(client) as stream:
        message = stream.get_final_message()
    name, _, attrs = ending(telemetry)
    assert name == "completed"
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == (message.id, 5)


def test_helper_until_done(client: anthropic.Anthropic, telemetry: Any) -> None:
    with helper(client) as stream:
        stream.until_done()
        message = stream.current_message_snapshot
    assert ending(telemetry)[0] == "completed"
    assert attributes_of(telemetry.only_span())["gen_ai.response.id"] == message.id


def test_helper_left_early(client: anthropic.Anthropic, telemetry: Any) -> None:
    with helper(client, chunks=50) as stream:
        for text in stream.text_stream:
            assert text == "word0"
            break
        assert telemetry.genai_spans() == []
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("closed", StatusCode.UNSET)
    assert "gen_ai.usage.output_tokens" not in attrs
    one_duration_point(telemetry)


def test_helper_closed_through_its_response(client: anthropic.Anthropic, telemetry: Any) -> None:
    manager = helper(client, chunks=50)
    stream = manager.__enter__()
    next(iter(stream))
    stream.response.close()  # what the SDK's own close() ends up doing; callers may do it too
    assert ending(telemetry)[:2] == ("closed", StatusCode.UNSET)
    manager.__exit__(None, None, None)
    assert len(telemetry.genai_spans()) == 1


def test_helper_never_entered_sends_and_records_nothing(client: anthropic.Anthropic, server: FakeLLMServer,
                                                       telemetry: Any) -> None:
    manager = helper(client)
    del manager
    gc.collect()
    assert server.requests == []
    assert telemetry.genai_spans() == []
    assert telemetry.metric_points("gen_ai.client.operation.duration") == []


def test_helper_request_fails(client: anthropic.Anthropic, telemetry: Any) -> None:
    with pytest.raises(anthropic.RateLimitError):
        with helper(client, status=429):
            pytest.fail("the block must not run")
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert attributes_of(span)["error.type"] == "anthropic.RateLimitError"
    assert attributes_of(span)["gen_ai.request.stream"] is True


def test_helper_server_drops_mid_stream(client: anthropic.Anthropic, telemetry: Any) -> None:
    with pytest.raises(Exception) as raised, helper(client, chunks=20, break_after=2) as stream:  # noqa: PT011
        stream.get_final_message()
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("error", StatusCode.ERROR)
    assert attrs["error.type"] == error_type_of(raised.value)


async def test_async_helper_get_final_text(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        assert type(stream) is AsyncMessageStream
        assert await stream.get_final_text() == "word0 word1 word2 word3 word4"
    name, status, attrs = ending(telemetry)
    assert (name, status) == ("completed", StatusCode.UNSET)
    assert attrs["gen_ai.usage.output_tokens"] == 5


async def test_async_helper_text_stream(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER, **directives(chunks=3)) as stream:
        texts = [text async for text in stream.text_stream]
    assert texts == ["word0", " word1", " word2"]
    assert ending(telemetry)[0] == "completed"


async def test_async_helper_left_early(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER,
                                       **directives(chunks=50)) as stream:
        async for _ in stream:
            break
    assert ending(telemetry)[:2] == ("closed", StatusCode.UNSET)
    one_duration_point(telemetry)


async def test_async_helper_never_entered(aclient: anthropic.AsyncAnthropic, server: FakeLLMServer,
                                         telemetry: Any) -> None:
    manager = aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER)
    with pytest.warns(RuntimeWarning, match="never awaited"):  # the SDK's own unsent request, as without us
        del manager
        gc.collect()
    assert server.requests == []
    assert telemetry.genai_spans() == []


async def test_async_helper_request_fails(aclient: anthropic.AsyncAnthropic, telemetry: Any) -> None:
    with pytest.raises(anthropic.InternalServerError):
        async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER, **directives(status=500)):
            pytest.fail("the block must not run")
    span = telemetry.only_span()
    assert (span.status.status_code, attributes_of(span)["error.type"]) == (
        StatusCode.ERROR, "anthropic.InternalServerError")

