"""Stream proxies that keep the SDK's own stream visible and finalize the invocation exactly once.

The caller keeps an object that *is* the SDK stream as far as ``isinstance`` and attribute access go (a
``wrapt.ObjectProxy``). Every ending closes the span once:

- ``completed``: iterated to the end;
- ``closed``: ``close()``, a ``with`` block left early, or the HTTP response closed by an SDK helper;
- ``abandoned``: dropped and garbage-collected without being closed;
- ``error``: an exception raised while reading (status ERROR);
- ``cancelled``: the caller's asyncio task was cancelled while waiting for a chunk (status ERROR).

An accumulator's ``add()`` may answer ``LAST_CHUNK`` for the provider's terminal event (the invocation ends there, as
``completed``, even if the caller never reads on) or ``HIDE_CHUNK`` for a chunk only the instrumentation asked for
(it is not handed to the caller, nor counted).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

import wrapt

from genai_otel.genai._safety import internal_error
from genai_otel.genai.recorder import end_unfinished

if TYPE_CHECKING:
    from genai_otel.genai.recorder import Invocation, Recorder
    from genai_otel.genai.types import GenAIResponse

__all__ = ["HIDE_CHUNK", "LAST_CHUNK", "Accumulator", "AsyncStreamProxy", "StreamState", "SyncStreamProxy"]

LAST_CHUNK = "last"
"""``Accumulator.add`` verdict: this chunk is the provider's terminal event; finish the invocation now."""
HIDE_CHUNK = "hide"
"""``Accumulator.add`` verdict: this chunk exists only because we asked for it; do not deliver it."""


class Accumulator(Protocol):
    """Per-stream state an adapter provides: fed every chunk, summarised once at the end."""

    def add(self, chunk: Any) -> str | None:
        """Note one chunk; return ``None``, ``LAST_CHUNK`` or ``HIDE_CHUNK``."""
        ...

    def result(self) -> GenAIResponse: ...


class StreamState:
    """Everything a stream proxy needs to finish its invocation. Holds no reference to the proxy."""

    __slots__ = ("recorder", "invocation", "accumulator")

    def __init__(self, recorder: Recorder, invocation: Invocation, accumulator: Accumulator) -> None:
        self.recorder = recorder
        self.invocation = invocation
        self.accumulator = accumulator

    def on_chunk(self, chunk: Any) -> bool:
        """Account for one chunk; False when the caller must not see it."""
        try:
            verdict = self.accumulator.add(chunk)
        except Exception as exc:  # noqa: BLE001
            internal_error("stream.chunk", exc)
            verdict = None
        if verdict is HIDE_CHUNK:
            return False
        try:
            self.invocation.chunk_arrived()
        except Exception as exc:  # noqa: BLE001
            internal_error("stream.chunk", exc)
        if verdict is LAST_CHUNK:
            self.finalize(None, "completed")
        return True

    def finalize(self, error: BaseException | None, ending: str) -> None:
        if self.invocation.ended:
            return
        try:
            response = self.accumulator.result()
        except Exception as exc:  # noqa: BLE001
            internal_error("stream.result", exc)
            response = None
        try:
            self.recorder.finish(self.invocation, response, error, ending)
        except Exception as exc:  # noqa: BLE001
            end_unfinished(self.invocation, error)
            internal_error("stream.finish", exc)


def _ending_of(exc: BaseException) -> str:
    return "cancelled" if isinstance(exc, asyncio.CancelledError) else "error"


class _ClosingResponse(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """The stream's HTTP response, seen through SDK helpers that close it directly (e.g. stream managers)."""

    def __init__(self, wrapped: Any, state: StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def close(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.__wrapped__.close(*args, **kwargs)
        finally:
            self._self_state.finalize(None, "closed")

    async def aclose(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self.__wrapped__.aclose(*args, **kwargs)
        finally:
            self._self_state.finalize(None, "closed")


class _StreamProxyBase(wrapt.ObjectProxy):  # type: ignore[type-arg]
    def __init__(self, wrapped: Any, state: StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        self._self_response: Any = None

    @property
    def response(self) -> Any:
        if self._self_response is None:
            response = self.__wrapped__.response
            try:
                self._self_response = _ClosingResponse(response, self._self_state)
            except Exception as exc:  # noqa: BLE001
                internal_error("stream.response", exc)
                return response
        return self._self_response

    def __del__(self) -> None:
        try:
            state = self._self_state
        except AttributeError:  # construction failed half-way
            return
        if not state.invocation.ended:
            state.finalize(None, "abandoned")


class SyncStreamProxy(_StreamProxyBase):
    """Proxy for a synchronous SDK stream."""

    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        while True:
            try:
                chunk = self.__wrapped__.__next__()
            except StopIteration:
                self._self_state.finalize(None, "completed")
                raise
            except BaseException as exc:
                self._self_state.finalize(exc, _ending_of(exc))
                raise
            if self._self_state.on_chunk(chunk):
                return chunk

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_state.finalize(None, "closed")

    def close(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.__wrapped__.close(*args, **kwargs)
        finally:
            self._self_state.finalize(None, "closed")


class AsyncStreamProxy(_StreamProxyBase):
    """Proxy for an asynchronous SDK stream."""

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        while True:
            try:
                chunk = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                self._self_state.finalize(None, "completed")
                raise
            except BaseException as exc:
                self._self_state.finalize(exc, _ending_of(exc))
                raise
            if self._self_state.on_chunk(chunk):
                return chunk

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_state.finalize(None, "closed")

    async def close(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self.__wrapped__.close(*args, **kwargs)
        finally:
            self._self_state.finalize(None, "closed")
