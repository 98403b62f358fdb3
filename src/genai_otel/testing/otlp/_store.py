"""Thread-safe storage of received records and export-request counts, with waiting helpers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .records import ReceivedLog, ReceivedMetric, ReceivedSpan, Signal

Expected = int | str | Callable[[Any], bool]
RequestKey = tuple[str, str, str]  # (signal, transport, outcome)

_MAX_LISTED_RECORDS = 40


class TelemetryStore:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._version = 0
        self._records: dict[Signal, list[Any]] = {"traces": [], "metrics": [], "logs": []}
        self._requests: Counter[RequestKey] = Counter()

    def add(self, signal: Signal, records: Sequence[Any]) -> None:
        with self._changed:
            self._records[signal].extend(records)
            self._version += 1
            self._changed.notify_all()

    def count_request(self, signal: Signal, transport: str, outcome: str) -> None:
        with self._changed:
            self._requests[(signal, transport, outcome)] += 1
            self._version += 1
            self._changed.notify_all()

    def records(self, signal: Signal) -> list[Any]:
        with self._changed:
            return list(self._records[signal])

    def request_counts(self) -> dict[RequestKey, int]:
        with self._changed:
            return dict(self._requests)

    def clear(self) -> None:
        with self._changed:
            for records in self._records.values():
                records.clear()
            self._requests.clear()
            self._version += 1

    def wait_for(
        self,
        signal: Signal,
        expected: Expected,
        count: int,
        timeout: float,
        name_of: Callable[[Any], Any],
        describe: Callable[[Any], str],
    ) -> list[Any]:
        """Wait until enough records match ``expected``; raise AssertionError listing what arrived on timeout.

        ``expected`` is a minimum total count (returns every record), a name (compared with ``name_of``) or a
        predicate; for the last two at least ``count`` records must match and only the matches are returned.
        """
        matches: Callable[[Any], bool]
        if isinstance(expected, int):
            wanted, matches = expected, _match_all
        elif isinstance(expected, str):
            wanted, matches = count, _match_name(expected, name_of)
        else:
            wanted, matches = count, expected
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                version_before_read = self._version
            matching = [record for record in self.records(signal) if matches(record)]
            if len(matching) >= wanted:
                return matching
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._timeout_message(signal, expected, wanted, timeout, describe))
            self._wait_for_change(version_before_read, remaining)

    def _wait_for_change(self, version_seen: int, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._version != version_seen, timeout=timeout)

    def _timeout_message(
        self, signal: Signal, expected: Expected, wanted: int, timeout: float, describe: Callable[[Any], str]
    ) -> str:
        if isinstance(expected, int):
            target = f"{wanted} {signal} record(s)"
        elif isinstance(expected, str):
            target = f"{wanted} {signal} record(s) named {expected!r}"
        else:
            target = f"{wanted} {signal} record(s) matching {getattr(expected, '__name__', repr(expected))}"
        received = self.records(signal)
        listed = [describe(record) for record in received[:_MAX_LISTED_RECORDS]]
        more = f" (+{len(received) - len(listed)} more)" if len(received) > len(listed) else ""
        requests = ", ".join(f"{'/'.join(key)}={n}" for key, n in sorted(self.request_counts().items())) or "none"
        return (
            f"timed out after {timeout}s waiting for {target}; received {len(received)}: {listed}{more}; "
            f"export requests (signal/transport/outcome): {requests}"
        )


def _match_all(record: Any) -> bool:
    return True


def _match_name(name: str, name_of: Callable[[Any], Any]) -> Callable[[Any], bool]:
    return lambda record: name_of(record) == name


def describe_span(span: ReceivedSpan) -> str:
    return f"{span.name!r} ({span.kind}, {span.status_code}, via {span.transport})"


def describe_metric(metric: ReceivedMetric) -> str:
    return f"{metric.name!r} ({metric.kind}, {len(metric.points)} point(s), via {metric.transport})"


def describe_log(log: ReceivedLog) -> str:
    body = repr(log.body)
    return f"{log.event_name!r} (body {body[:60] + '...' if len(body) > 60 else body}, via {log.transport})"
