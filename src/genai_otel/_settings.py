"""Reading environment variables once, with one clear warning and the default for a bad value."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection

__all__ = ["read_bool", "read_choice", "read_float", "read_int", "warn_once"]

_logger = logging.getLogger("genai_otel")
_warned: set[str] = set()
_lock = threading.Lock()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def warn_once(key: str, message: str, *args: object) -> None:
    """Log ``message`` as a warning the first time ``key`` is seen in this process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    _logger.warning(message, *args)


def _bad(name: str, raw: str, expected: str, default: object) -> None:
    warn_once(f"env:{name}={raw}", "genai-otel: ignoring %s=%r (expected %s); using the default %r",
              name, raw, expected, default)


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def read_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    _bad(name, raw, "true or false", default)
    return default


def read_choice(name: str, choices: Collection[str], default: str) -> str:
    """A case-insensitive choice among ``choices`` (given lower-case)."""
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in choices:
        return raw.lower()
    _bad(name, raw, "one of " + ", ".join(sorted(choices)), default)
    return default


def read_float(name: str, default: float, minimum: float | None = None) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        _bad(name, raw, "a number", default)
        return default
    if minimum is not None and value < minimum:
        _bad(name, raw, f"a number >= {minimum}", default)
        return default
    return value


def read_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _bad(name, raw, "a whole number", default)
        return default
    if minimum is not None and value < minimum:
        _bad(name, raw, f"a whole number >= {minimum}", default)
        return default
    return value
