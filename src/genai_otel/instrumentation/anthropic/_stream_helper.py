"""``messages.stream(...)``: the request is sent when the returned manager is entered, not when it is made.

The SDK's ``stream()`` builds the request and hands it, unsent, to a ``MessageStreamManager``: a callable (sync) or
an awaitable (async) that ``__enter__`` / ``__aenter__`` runs. ``defer_request`` is the ``PatchTarget.wrap`` hook
that puts the engine's wrapper around that moment. So the span starts when the request is sent, the raw event
stream the manager wraps is the engine's stream proxy (``text_stream``, ``get_final_message()``, ``until_done()``
and ``close()`` all read or close through it), and a manager that is never entered sends nothing and records
nothing. The caller still gets the SDK's own manager.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from genai_otel.genai._safety import internal_error

__all__ = ["defer_request"]

_REQUEST_ATTRIBUTE = "__api_request"  # the manager's private (name-mangled) slot for the unsent request


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
    if callable(request):

        def send() -> Any:
            return engine_wrapper(lambda *_a, **_k: request(), instance, args, call_kwargs)

        setattr(manager, slot, send)
    else:
        setattr(manager, slot, _DeferredRequest(engine_wrapper, request, instance, args, call_kwargs))


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

    __slots__ = ("_args", "_engine_wrapper", "_instance", "_kwargs", "_request")

    def __init__(self, engine_wrapper: Callable[..., Any], request: Any, instance: Any, args: Any,
                 kwargs: dict[str, Any]) -> None:
        self._engine_wrapper = engine_wrapper
        self._request = request
        self._instance = instance
        self._args = args
        self._kwargs = kwargs

    def __await__(self) -> Generator[Any, None, Any]:
        request = self._request

        async def send(*_args: Any, **_kwargs: Any) -> Any:
            return await request

        return self._engine_wrapper(send, self._instance, self._args, self._kwargs).__await__()  # type: ignore[no-any-return]
