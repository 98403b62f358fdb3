"""One received request, as the endpoint builders see it, plus the state shared across requests."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from genai_otel.testing.fake_llm._directives import Directives


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received, kept for assertions (``server.requests``)."""

    method: str
    path: str
    """The path without its query string, e.g. ``/v1/messages``."""
    query: dict[str, str]
    headers: dict[str, str]
    """Header names lower-cased."""
    body: Any
    """The parsed JSON body, or ``None`` when there was none (or it was not JSON)."""

    @property
    def directives(self) -> str | None:
        return self.headers.get("x-fake-llm")


@dataclass
class ServerState:
    """Mutable state: id sequence, fail_first attempt counts, stored responses. Guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    attempts: dict[tuple[str, ...], int] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    def next_sequence(self) -> int:
        with self.lock:
            return next(self.sequence)

    def count_attempt(self, key: tuple[str, ...]) -> int:
        """Record one more attempt for ``key`` and return how many there have been (1 for the first)."""
        with self.lock:
            self.attempts[key] = self.attempts.get(key, 0) + 1
            return self.attempts[key]

    def reset(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.responses.clear()


@dataclass
class Call:
    """The request being answered, its directives and a handle on the shared state."""

    request: RecordedRequest
    body: dict[str, Any]
    directives: Directives
    state: ServerState
    sequence: int
    created: int = field(default_factory=lambda: int(time.time()))
    path_params: dict[str, str] = field(default_factory=dict)

    def make_id(self, prefix: str, suffix: str | int = "") -> str:
        """Ids unique per server run and predictable from the request order: ``chatcmpl-fake000007``."""
        tail = f"_{suffix}" if suffix != "" else ""
        return f"{prefix}fake{self.sequence:06d}{tail}"

    @property
    def request_id(self) -> str:
        return self.make_id("req_")

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))
