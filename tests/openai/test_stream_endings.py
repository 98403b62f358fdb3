"""Every way a stream can end closes its span exactly once, with the right status and duration."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import openai
import pytest
from opentelemetry.trace import StatusCode

from tests.openai.conftest import directives

MESSAGES = [{"role": "user", "content": "stream please"}]
MODEL = "gpt-4o-mini"


def _ending(telemetry: Any) -> tuple[str, StatusCode, dict[str, Any]]:
    span = telemetry.only_span()
    attrs = dict(span.attributes)
    return attrs["genai_otel.stream.ending"], span.status.status_code, attrs


def _one_duration_point(telemetry: Any) -> dict[str, Any]:
    [point] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert point["count"] == 1
    return point


def test_consumed(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=10))
    chunks = [chunk for chunk in stream]
    ending, status, attrs = _ending(telemetry)
    assert (ending, status) == ("completed", StatusCode.UNSET)
    assert attrs["genai_otel.stream.chunk_count"] == len(chunks)
    list(stream)  # iterating again after the end changes nothing
    assert len(telemetry.genai_spans()) == 1
    _one_duration_point(telemetry)


def test_break_then_close(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=50))
    for _ in stream:
        break
    assert telemetry.genai_spans() == []
    stream.close()
    stream.close()
    ending, status, attrs = _ending(telemetry)
    assert (ending, status) == ("closed", StatusCode.UNSET)
    assert attrs["genai_otel.stream.chunk_count"] == 1
    _one_duration_point(telemetry)


def test_context_manager_left_early(client: openai.OpenAI, telemetry: Any) -> None:
    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                        **directives(chunks=50)) as stream:
        assert isinstance(stream, openai.Stream)
        next(iter(stream))
    assert _ending(telemetry)[:2] == ("closed", StatusCode.UNSET)
    _one_duration_point(telemetry)


async def test_async_context_manager_left_early(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                   **directives(chunks=50))
    async with stream as entered:
        assert entered is stream
        assert isinstance(entered, openai.AsyncStream)
        async for _ in entered:
            break
    assert _ending(telemetry)[:2] == ("closed", StatusCode.UNSET)


async def test_async_consumed(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                   stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]
    ending, status, attrs = _ending(telemetry)
    assert (ending, status) == ("completed", StatusCode.UNSET)
    assert attrs["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens


def test_abandoned_and_garbage_collected(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=50))
    next(iter(stream))
    del stream
    gc.collect()
    assert _ending(telemetry)[:2] == ("abandoned", StatusCode.UNSET)
    _one_duration_point(telemetry)


def test_server_breaks_mid_stream(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            **directives(chunks=20, break_after=3))
    received = []
    with pytest.raises(Exception) as raised:
        for chunk in stream:
            received.append(chunk)
    ending, status, attrs = _ending(telemetry)
    assert (ending, status) == ("error", StatusCode.ERROR)
    assert attrs["error.type"] == f"{type(raised.value).__module__.split('.')[0]}.{type(raised.value).__name__}"
    assert attrs["gen_ai.response.id"] == received[0].id
    [point] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert point["attributes"]["error.type"] == attrs["error.type"]


async def test_task_cancelled_while_waiting(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                   **directives(chunks=5, chunk_delay_ms=2000))

    async def consume() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    ending, status, attrs = _ending(telemetry)
    assert (ending, status) == ("cancelled", StatusCode.ERROR)
    assert attrs["error.type"] == "asyncio.CancelledError"
    await stream.close()
    assert len(telemetry.genai_spans()) == 1


async def test_async_abandoned(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                   **directives(chunks=30))
    await stream.__anext__()
    del stream
    gc.collect()
    assert _ending(telemetry)[:2] == ("abandoned", StatusCode.UNSET)


def test_proxy_keeps_sdk_type_and_attributes(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert callable(stream.close)
    for _ in stream:
        pass
