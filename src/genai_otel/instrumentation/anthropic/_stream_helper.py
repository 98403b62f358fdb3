"""``messages.stream(...)``: the request is sent when the returned manager is entered, not when it is made.

The SDK's ``stream()`` builds the request and hands it, unsent, to a ``MessageStreamManager``: a callable (sync) or
an awaitable (async) that ``__enter__`` / ``__aenter__`` runs. ``defer_request`` is the ``PatchTarget.wrap`` hook
that puts the engine's wrapper around that moment. So the span starts when the request is sent, the raw event
stream the manager wraps is the engine's stream proxy (``text_stream``, ``get_final_message()``, ``until_done()``
and ``close()`` all read or close through it), and a manager that is never entered sends nothing and records
nothing. The caller still gets the SDK's own manager.

anthropic 0.40-0.44 build the helper's stream anew from the response of the one they asked for (a second, unread
``Stream`` over the same HTTP response) and drop that one. There the manager's ``__enter__`` / ``__aenter__`` is
wrapped once per class so that the helper's ``MessageStream`` reads its events through our stream proxy instead, as
it does in later versions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from typing import Any

import wrapt

from genai_otel.genai._safety import internal_error

__all__ = ["defer_request"]

_REQUEST_ATTRIBUTE = "__api_request"  # the manager's private (name-mangled) slot for the unsent request
_KEEP_ALIVE = "_genai_otel_stream"


def defer_request(engine_wrapper: Callable[..., Any]) -> Callable[..., Any]:
    """``PatchTarget.wrap`` hook for ``Messages.stream`` / ``AsyncMessages.stream``."""

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        manager = wrapped(*args, **kwargs)
        try:
            _defer(manager, engine_wrapper, instance, args, kwargs)
        except Exception as exc:  # noqa: BLE001
            internal_error("anthropic.stream_helper", exc)
        return manager

    return wrapper


def _defer(manager: Any, engine_wrapper: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> None:
    slot = _request_slot(manager)
    if slot is None:
        raise LookupError(f"{type(manager).__qualname__} keeps its request in no slot we know")
    request = getattr(manager, slot)
    call_kwargs = {**kwargs, "stream": True}
    keeper = manager if _helper_rebuilds_its_stream() else None
    if keeper is not None:
        _adopt_on_enter(type(manager))
    if callable(request):

        def send() -> Any:
            stream = engine_wrapper(lambda *_a, **_k: request(), instance, args, call_kwargs)
            if keeper is not None:
                vars(keeper)[_KEEP_ALIVE] = stream
            return stream

        setattr(manager, slot, send)
    else:
        setattr(manager, slot, _DeferredRequest(engine_wrapper, request, instance, args, call_kwargs, keeper))


_rebuilds: bool | None = None


def _helper_rebuilds_its_stream() -> bool:
    """anthropic < 0.45: the manager makes its ``MessageStream`` from the response, not from the stream it got."""
    global _rebuilds
    if _rebuilds is None:
        version = getattr(sys.modules.get("anthropic"), "__version__", "1")
        try:
            major, minor = (int(part) for part in version.split(".")[:2])
        except ValueError:
            major, minor = 1, 0
        _rebuilds = (major, minor) < (0, 45)
    return _rebuilds


_adopting: set[type] = set()


def _adopt_on_enter(manager_class: type) -> None:
    """anthropic < 0.45: once per manager class, make the helper's stream read through our proxy on entering."""
    if manager_class in _adopting:
        return
    _adopting.add(manager_class)
    if "__aenter__" in vars(manager_class):
        wrapt.wrap_function_wrapper(manager_class, "__aenter__", _adopt_async)
    else:
        wrapt.wrap_function_wrapper(manager_class, "__enter__", _adopt)


def _adopt(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    helper_stream = wrapped(*args, **kwargs)
    _read_through_proxy(instance, helper_stream)
    return helper_stream


async def _adopt_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    helper_stream = await wrapped(*args, **kwargs)
    _read_through_proxy(instance, helper_stream)
    return helper_stream


def _read_through_proxy(manager: Any, helper_stream: Any) -> None:
    """The helper's ``MessageStream`` reads ``_raw_stream`` lazily: point it at our (still unread) stream proxy."""
    try:
        proxy = vars(manager).get(_KEEP_ALIVE)
        if proxy is not None and "_raw_stream" in vars(helper_stream):
            helper_stream._raw_stream = proxy
    except Exception as exc:  # noqa: BLE001
        internal_error("anthropic.stream_helper", exc)


def _request_slot(manager: Any) -> str | None:
    for cls in type(manager).__mro__:
        slot = f"_{cls.__name__.lstrip('_')}{_REQUEST_ATTRIBUTE}"
        if slot in vars(manager):
            return slot
    return None


class _DeferredRequest:
    """Stands in for the async manager's unsent request: awaiting it runs the engine's wrapper around it.

    A plain object, not a coroutine, so a manager that is never entered warns only about the SDK's own request.
    """

    __slots__ = ("_args", "_engine_wrapper", "_instance", "_keeper", "_kwargs", "_request")

    def __init__(self, engine_wrapper: Callable[..., Any], request: Any, instance: Any, args: Any,
                 kwargs: dict[str, Any], keeper: Any) -> None:
        self._engine_wrapper = engine_wrapper
        self._request = request
        self._instance = instance
        self._args = args
        self._kwargs = kwargs
        self._keeper = keeper

    def __await__(self) -> Generator[Any, None, Any]:
        return self._send().__await__()

    async def _send(self) -> Any:
        request = self._request

        async def send(*_args: Any, **_kwargs: Any) -> Any:
            return await request

        stream = await self._engine_wrapper(send, self._instance, self._args, self._kwargs)
        if self._keeper is not None:
            vars(self._keeper)[_KEEP_ALIVE] = stream
        return stream
