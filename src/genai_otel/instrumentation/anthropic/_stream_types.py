"""anthropic 0.x: ``isinstance(stream, anthropic.Stream)`` holds for the stream proxies too.

In anthropic 0.x, ``Stream`` and ``AsyncStream`` have a metaclass whose ``__instancecheck__`` answers ``True`` only
for the exact class (Python's own fast path) and for the helper's ``MessageStream``; everything else, a
``wrapt`` proxy included, is refused. While instrumented, that check looks through our stream proxies to the SDK
stream they wrap, so the caller's ``isinstance`` answers as it would without us. anthropic >= 1.0 has no such
metaclass, and nothing is patched.
"""

from __future__ import annotations

import importlib
from typing import Any

import wrapt
from opentelemetry.instrumentation.utils import unwrap

from genai_otel.genai.stream import AsyncStreamProxy, SyncStreamProxy

__all__ = ["StreamTypes"]

_METACLASSES = ("_SyncStreamMeta", "_AsyncStreamMeta")
_PROXIES = (SyncStreamProxy, AsyncStreamProxy)


def _see_through(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    candidate = args[0] if args else None
    if isinstance(candidate, _PROXIES):
        return isinstance(candidate.__wrapped__, instance)
    return wrapped(*args, **kwargs)


class StreamTypes:
    """Installs the look-through check when the SDK is imported; ``uninstall()`` restores the metaclasses."""

    def __init__(self) -> None:
        self._active = False
        self._patched: list[type] = []

    def install(self) -> None:
        self._active = True
        wrapt.register_post_import_hook(self._on_import, "anthropic")

    def uninstall(self) -> None:
        self._active = False
        for metaclass in self._patched:
            unwrap(metaclass, "__instancecheck__")
        self._patched = []

    def _on_import(self, _module: Any) -> None:
        if not self._active or self._patched:
            return
        try:
            streaming = importlib.import_module("anthropic._streaming")
        except ImportError:
            return
        for name in _METACLASSES:
            metaclass = getattr(streaming, name, None)
            if isinstance(metaclass, type) and "__instancecheck__" in vars(metaclass):
                wrapt.wrap_function_wrapper(metaclass, "__instancecheck__", _see_through)
                self._patched.append(metaclass)
