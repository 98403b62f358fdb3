"""A span processor that knows which spans are open: started and not yet ended.

::

    from genai_otel.testing.open_spans import OpenSpanTracker

    tracker = OpenSpanTracker()
    tracer_provider.add_span_processor(tracker)
    ...                                   # calls, streams consumed, closed, abandoned, failed
    assert tracker.open_spans() == []     # every span that started has ended

It keeps one dict entry per open span (removed at its end), so it can watch millions of calls.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

__all__ = ["OpenSpanTracker"]


def _key(span: ReadableSpan) -> tuple[int, int]:
    context = span.context  # on_end gets a new ReadableSpan of the same span: match by ids, not by object
    return (context.trace_id, context.span_id) if context is not None else (0, id(span))


class OpenSpanTracker(SpanProcessor):
    """Counts ``on_start`` and ``on_end`` and remembers the spans in between (name and scope)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[int, int], tuple[str, str | None]] = {}
        self.started = 0
        self.ended = 0

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        scope = span.instrumentation_scope.name if span.instrumentation_scope is not None else None
        with self._lock:
            self.started += 1
            self._open[_key(span)] = (span.name, scope)

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self.ended += 1
            self._open.pop(_key(span), None)

    def open_spans(self, scope: str | None = None) -> list[str]:
        """Names of the spans started and not ended (of one instrumentation scope, when given)."""
        with self._lock:
            return [name for name, span_scope in self._open.values() if scope is None or span_scope == scope]

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
