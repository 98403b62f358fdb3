"""Fault injection shared by both transports: what the receiver answers to the next export request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .records import Signal, Transport

Mode = Literal["ok", "unavailable", "throttle", "hang"]
Outcome = Literal["accepted", "unavailable", "throttled", "hung", "rejected"]

MODES: tuple[str, ...] = get_args(Mode)
_OUTCOME_BY_MODE: dict[str, Outcome] = {
    "ok": "accepted",
    "unavailable": "unavailable",
    "throttle": "throttled",
    "hang": "hung",
}
_HANG_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    retry_after_seconds: float = 0.0


# (signal, transport, decoded request, is the client still waiting?) -> verdict; shared by both transports.
ExportHandler = Callable[[Signal, Transport, Any, Callable[[], bool]], Verdict]
# (signal, transport): count an export request that could not be decoded.
RejectionCounter = Callable[[Signal, Transport], None]


class FaultGate:
    """Holds the current mode; ``hold()`` blocks hung requests until released, the mode changes or a bound passes."""

    def __init__(self, max_hang_seconds: float) -> None:
        self._max_hang_seconds = max_hang_seconds
        self._changed = threading.Condition()
        self._mode: Mode = "ok"
        self._retry_after_seconds = 1.0
        self._closed = False

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode, retry_after_seconds: float) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown receiver mode {mode!r}; expected one of {MODES}")
        with self._changed:
            self._mode = mode
            self._retry_after_seconds = retry_after_seconds
            self._changed.notify_all()

    def verdict(self) -> Verdict:
        with self._changed:
            return Verdict(_OUTCOME_BY_MODE[self._mode], self._retry_after_seconds)

    def hold(self, client_waiting: Callable[[], bool]) -> None:
        """Block a hung request until the mode leaves "hang", the gate closes, the client leaves or the bound passes."""
        deadline = time.monotonic() + self._max_hang_seconds
        with self._changed:
            while self._mode == "hang" and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not client_waiting():
                    return
                self._changed.wait(min(remaining, _HANG_POLL_SECONDS))

    def close(self) -> None:
        """Release every held request and stop holding new ones (used while the servers stop)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def open(self) -> None:
        with self._changed:
            self._closed = False
