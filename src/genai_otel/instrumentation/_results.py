"""What a patched SDK method hands back to the caller: the SDK's own value, or a proxy of it.

A plain response closes the invocation at once. A stream is wrapped in a stream proxy. A "raw" response
(``with_raw_response`` / ``with_streaming_response``) is the SDK's response wrapper: when its body is already read
and the call was not streamed it is parsed here (the SDKs cache ``parse()``, so the caller gets the very same object);
otherwise a proxy watches ``parse()`` and ``close()``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import wrapt

from genai_otel.genai._safety import internal_error
from genai_otel.genai.recorder import end_unfinished
from genai_otel.genai.stream import AsyncStreamProxy, StreamState, SyncStreamProxy
from genai_otel.instrumentation._extensions import keep_result, tap_stream

if TYPE_CHECKING:
    from genai_otel.genai.recorder import Invocation, Recorder
    from genai_otel.instrumentation._base import Surface

__all__ = ["ResultKind", "deliver"]


class ResultKind(enum.Enum):
    VALUE = "value"
    STREAM = "stream"
    ASYNC_STREAM = "async_stream"
    RAW = "raw"
    """An SDK response wrapper whose body may already be read (openai/anthropic ``LegacyAPIResponse``)."""
    ASYNC_RAW = "async_raw"
    """An async SDK response wrapper whose body is already read (anthropic ``AsyncAPIResponse`` from
    ``with_raw_response``): its ``parse()`` completes without waiting."""
    RAW_STREAMED = "raw_streamed"
    """An SDK response wrapper whose body is not read yet (``with_streaming_response``), sync."""
    ASYNC_RAW_STREAMED = "async_raw_streamed"


def deliver(kind: ResultKind, result: Any, invocation: Invocation, recorder: Recorder, surface: Surface,
            classify: Any) -> Any:
    """Close the invocation or hand its ending to a proxy; return what the caller receives."""
    if kind is ResultKind.VALUE:
        keep_result(invocation, result)
        recorder.finish(invocation, surface.response(result, invocation.request))
        return result
    if kind is ResultKind.STREAM:
        accumulator = tap_stream(invocation, surface.accumulator(invocation.request))
        return SyncStreamProxy(result, StreamState(recorder, invocation, accumulator))
    if kind is ResultKind.ASYNC_STREAM:
        accumulator = tap_stream(invocation, surface.accumulator(invocation.request))
        return AsyncStreamProxy(result, StreamState(recorder, invocation, accumulator))
    if (kind is ResultKind.RAW or kind is ResultKind.ASYNC_RAW) and not invocation.request.stream:
        parsed = result.parse() if kind is ResultKind.RAW else _parse_read(result)
        keep_result(invocation, parsed)
        recorder.finish(invocation, surface.response(parsed, invocation.request))
        return result
    watcher = _ParseWatcher(invocation, recorder, surface, classify)
    if kind is ResultKind.ASYNC_RAW_STREAMED or kind is ResultKind.ASYNC_RAW:
        return AsyncRawResponseProxy(result, watcher)
    return RawResponseProxy(result, watcher)


def _parse_read(raw: Any) -> Any:
    """``await raw.parse()`` of an async response wrapper whose body is already read, run to its end here.

    Reading a read body does not wait, so the coroutine finishes on its first step; the SDK caches what it parsed,
    so the caller's own ``await raw.parse()`` later returns the very same object.
    """
    coroutine = raw.parse()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("parse() of a response whose body was read had to wait")


class _ParseWatcher:
    """Finishes an invocation from whatever ``parse()`` of a raw response returns, or at close."""

    __slots__ = ("invocation", "recorder", "surface", "classify", "delivered", "stream_state")

    def __init__(self, invocation: Invocation, recorder: Recorder, surface: Surface, classify: Any) -> None:
        self.invocation = invocation
        self.recorder = recorder
        self.surface = surface
        self.classify = classify
        self.delivered: dict[int, Any] = {}
        self.stream_state: StreamState | None = None

    def parsed(self, value: Any) -> Any:
        seen = self.delivered.get(id(value))
        if seen is not None:
            return seen[1]
        try:
            out = deliver(self.classify(value), value, self.invocation, self.recorder, self.surface, self.classify)
        except Exception as exc:  # noqa: BLE001
            internal_error("raw_response.parse", exc)
            return value
        if isinstance(out, (SyncStreamProxy, AsyncStreamProxy)):
            self.stream_state = out._self_state
        self.delivered[id(value)] = (value, out)
        return out

    def closed(self, ending: str) -> None:
        try:
            if self.stream_state is not None:
                self.stream_state.finalize(None, ending)
            elif not self.invocation.ended:
                self.recorder.finish(self.invocation, None, None, ending)
        except Exception as exc:  # noqa: BLE001
            end_unfinished(self.invocation)
            internal_error("raw_response.close", exc)


class RawResponseProxy(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """Proxy for a sync SDK response wrapper: ``parse()`` results are instrumented, ``close()`` ends the call."""

    def __init__(self, wrapped: Any, watcher: _ParseWatcher) -> None:
        super().__init__(wrapped)
        self._self_watcher = watcher

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_watcher.parsed(self.__wrapped__.parse(*args, **kwargs))

    def close(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.__wrapped__.close(*args, **kwargs)
        finally:
            self._self_watcher.closed("closed")

    def __del__(self) -> None:
        watcher = getattr(self, "_self_watcher", None)
        if watcher is not None:
            watcher.closed("abandoned")


class AsyncRawResponseProxy(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """Proxy for an async SDK response wrapper (``AsyncAPIResponse``)."""

    def __init__(self, wrapped: Any, watcher: _ParseWatcher) -> None:
        super().__init__(wrapped)
        self._self_watcher = watcher

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_watcher.parsed(await self.__wrapped__.parse(*args, **kwargs))

    async def close(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self.__wrapped__.close(*args, **kwargs)
        finally:
            self._self_watcher.closed("closed")

    def __del__(self) -> None:
        watcher = getattr(self, "_self_watcher", None)
        if watcher is not None:
            watcher.closed("abandoned")
