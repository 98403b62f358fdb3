"""Figures computed from stored calls: group summaries, percentiles, the slowest and most expensive calls, and the
time series the HTML report draws. Everything here is recomputed from the rows on every run.

Percentiles interpolate linearly between the two nearest ranks (numpy's default, ``statistics.quantiles`` with
``method="inclusive"``): p50 of [1, 2, 3, 4] is 2.5.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from genai_otel.genai import semconv
from genai_otel.localstore.query import Call

__all__ = [
    "DEFAULT_GROUPING",
    "TIME_KEYS",
    "Summary",
    "bucket_width",
    "describe_key",
    "group",
    "key_function",
    "key_names",
    "percentile",
    "summarize",
    "top",
]

DEFAULT_GROUPING: Final = ("provider", "model")
TIME_KEYS: Final = frozenset({"day", "hour"})
_TOKEN_TYPES: Final = ("input", "output", "cache_read", "cache_creation", "reasoning")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values``, interpolated; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    calls: int
    errors: int
    duration_p50_s: float | None
    duration_p95_s: float | None
    duration_p99_s: float | None
    ttfc_p50_s: float | None
    tokens: dict[str, int]
    """Summed over the calls: input (cached included), output (reasoning included), cache_read, cache_creation,
    reasoning."""
    cost_usd: float | None
    """Sum of the known costs; None when no call had one."""
    unpriced_calls: int
    """Calls that used tokens but had no price."""

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls, "errors": self.errors, "error_rate": self.error_rate,
            "duration_s": {"p50": self.duration_p50_s, "p95": self.duration_p95_s, "p99": self.duration_p99_s},
            "ttfc_s": {"p50": self.ttfc_p50_s}, "tokens": dict(self.tokens), "cost_usd": self.cost_usd,
            "unpriced_calls": self.unpriced_calls,
        }  # fmt: skip


def summarize(calls: Sequence[Call]) -> Summary:
    durations = [call.duration_s for call in calls]
    ttfcs = [call.ttfc_s for call in calls if call.ttfc_s is not None]
    costs = [call.cost_usd for call in calls if call.cost_usd is not None]
    tokens = {kind: sum(getattr(call, f"{kind}_tokens") or 0 for call in calls) for kind in _TOKEN_TYPES}
    return Summary(
        calls=len(calls),
        errors=sum(1 for call in calls if call.failed),
        duration_p50_s=percentile(durations, 50),
        duration_p95_s=percentile(durations, 95),
        duration_p99_s=percentile(durations, 99),
        ttfc_p50_s=percentile(ttfcs, 50),
        tokens=tokens,
        cost_usd=math.fsum(costs) if costs else None,
        unpriced_calls=sum(1 for call in calls if call.unpriced),
    )


# --- grouping keys ------------------------------------------------------------------------------------------------


def _utc(ns: int, fmt: str) -> str:
    return time.strftime(fmt, time.gmtime(ns // 1_000_000_000))


def _server(call: Call) -> str | None:
    if call.server_address is None:
        return None
    return f"{call.server_address}:{call.server_port}" if call.server_port is not None else call.server_address


_KEYS: Final[dict[str, Callable[[Call], Any]]] = {
    "provider": lambda call: call.provider,
    "model": lambda call: call.model,
    "request_model": lambda call: call.request_model,
    "response_model": lambda call: call.response_model,
    "operation": lambda call: call.operation,
    "server": _server,
    "service": lambda call: call.service_name,
    "status": lambda call: call.status,
    "error_type": lambda call: call.error_type,
    "prompt_hash": lambda call: call.prompt_hash,
    "day": lambda call: _utc(call.start_time_ns, "%Y-%m-%d"),
    "hour": lambda call: _utc(call.start_time_ns, "%Y-%m-%dT%H:00Z"),
}
_KEY_HELP: Final = {
    "model": f"the requested model ({semconv.REQUEST_MODEL}; the response's when none was requested)",
    "day": "UTC day", "hour": "UTC hour", "server": "server address:port", "service": "service.name",
}  # fmt: skip


def describe_key(name: str) -> str:
    return _KEY_HELP.get(name, name)


def key_names() -> list[str]:
    return list(_KEYS)


def key_function(name: str) -> Callable[[Call], Any]:
    """A grouping key: one of :func:`key_names`, or any span attribute name (e.g. ``gen_ai.request.temperature``
    or an attribute a hook added)."""
    known = _KEYS.get(name)
    if known is not None:
        return known

    def attribute(call: Call) -> Any:
        value = call.attribute(name)
        return tuple(value) if isinstance(value, list) else value

    return attribute


def _sort_key(value: Any) -> tuple[int, str]:
    return (1, "") if value is None else (0, str(value))


def group(calls: Iterable[Call], by: Sequence[str]) -> list[tuple[tuple[Any, ...], Summary]]:
    """Summaries per distinct key. Time keys (day, hour) sort chronologically; otherwise by cost, then calls, both
    descending, then by key."""
    functions = [key_function(name) for name in by]
    groups: dict[tuple[Any, ...], list[Call]] = {}
    for call in calls:
        groups.setdefault(tuple(fn(call) for fn in functions), []).append(call)
    summaries = [(key, summarize(members)) for key, members in groups.items()]
    if any(name in TIME_KEYS for name in by):
        summaries.sort(key=lambda item: [_sort_key(value) for value in item[0]])
    else:
        summaries.sort(key=lambda item: (-(item[1].cost_usd or 0.0), -item[1].calls,
                                         [_sort_key(value) for value in item[0]]))
    return summaries


def top(calls: Iterable[Call], by: str, count: int) -> list[Call]:
    """The ``count`` calls with the highest ``cost_usd`` or ``duration_s`` (calls without one are skipped)."""
    ranked = [call for call in calls if getattr(call, by) is not None]
    ranked.sort(key=lambda call: (-getattr(call, by), call.start_time_ns, call.id))
    return ranked[:count]


# --- time buckets for charts --------------------------------------------------------------------------------------

_WIDTHS_S: Final = (1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)


def bucket_width(first_ns: int, last_ns: int, max_buckets: int = 60) -> int:
    """The smallest of 1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 day, 1 week giving at most ``max_buckets``
    buckets (aligned to the Unix epoch) between the two times."""
    for width in _WIDTHS_S:
        if (last_ns // 1_000_000_000) // width - (first_ns // 1_000_000_000) // width + 1 <= max_buckets:
            return width
    return _WIDTHS_S[-1]
