"""The guard around every telemetry step: our bugs never reach the application.

An internal error is logged once per kind, counted in ``genai_otel.internal.errors`` and swallowed. Under the test
suite (``GENAI_OTEL_RAISE_INTERNAL_ERRORS=true``) it is re-raised instead, so bugs cannot hide.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from genai_otel._settings import read_bool
from genai_otel.environment_variables import GENAI_OTEL_RAISE_INTERNAL_ERRORS
from genai_otel.genai import semconv

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Meter

__all__ = ["InternalError", "bind_meter", "error_counts", "internal_error", "raise_internal_errors"]

_logger = logging.getLogger("genai_otel")
_lock = threading.Lock()
_logged_kinds: set[str] = set()
_counts: dict[str, int] = {}
_counter: Counter | None = None
_raise = read_bool(GENAI_OTEL_RAISE_INTERNAL_ERRORS, False)  # another value warns once (variable and value)


class InternalError(RuntimeError):
    """Raised (only under tests) when our own code failed; wraps the original error."""


def raise_internal_errors(enabled: bool) -> None:
    """Switch re-raising of internal errors on or off (the test suite turns it on)."""
    global _raise
    _raise = enabled


def bind_meter(meter: Meter) -> None:
    """Create the self-health counter on the given meter."""
    global _counter
    _counter = meter.create_counter(
        semconv.METRIC_INTERNAL_ERRORS, unit="{error}", description="Errors inside genai-otel itself, by kind."
    )
    _counter.add(0)  # exists at 0 from instrument time, so an alert on it has a series to watch


def error_counts() -> dict[str, int]:
    """Internal errors seen in this process, by kind (a copy)."""
    with _lock:
        return dict(_counts)


def internal_error(kind: str, exc: BaseException) -> None:
    """Record that our own code failed at step ``kind``. Never raises, except under tests."""
    with _lock:
        _counts[kind] = _counts.get(kind, 0) + 1
        first = kind not in _logged_kinds
        _logged_kinds.add(kind)
    if first:
        _logger.error("genai-otel internal error in %s (further ones of this kind are counted, not logged)",
                      kind, exc_info=exc)
    counter = _counter
    if counter is not None:
        try:
            counter.add(1, {semconv.EXTRA_ERROR_KIND: kind})
        except Exception:  # noqa: BLE001 - the health counter itself must not fail the app
            pass
    if _raise:
        raise InternalError(f"genai-otel internal error in {kind}: {exc!r}") from exc
