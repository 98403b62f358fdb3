"""Plain-Python records of the telemetry an :class:`OTLPReceiver` received.

Nothing here is a protobuf object: ids are lowercase hex strings, enums are short upper-case names
("CLIENT", "ERROR", "CUMULATIVE"), and attribute values keep their OTLP type (str, bool, int, float, bytes).
Arrays decode to tuples inside attributes (as the SDK stores them) and to lists inside log bodies
(as applications usually pass them); key-value lists decode to dicts; an empty AnyValue decodes to None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = [
    "Attributes",
    "ExponentialHistogramPoint",
    "HistogramPoint",
    "MetricKind",
    "MetricPoint",
    "NumberPoint",
    "ReceivedLog",
    "ReceivedMetric",
    "ReceivedSpan",
    "Signal",
    "SpanEvent",
    "Transport",
]

Attributes = dict[str, Any]
Transport = Literal["grpc", "http"]
Signal = Literal["traces", "metrics", "logs"]
MetricKind = Literal["histogram", "sum", "gauge", "exponential_histogram", "summary"]


class SpanEvent(NamedTuple):
    """A span event; compares equal to the plain tuple ``(name, attributes)``."""

    name: str
    attributes: Attributes


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int
    attributes: Attributes
    status_code: str
    status_message: str
    events: list[SpanEvent]
    resource: Attributes
    scope_name: str
    scope_version: str
    transport: Transport

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass(frozen=True)
class NumberPoint:
    """A point of a sum or gauge metric."""

    attributes: Attributes
    value: int | float
    start_ns: int
    time_ns: int


@dataclass(frozen=True)
class HistogramPoint:
    attributes: Attributes
    count: int
    sum: float | None
    bucket_counts: tuple[int, ...]
    explicit_bounds: tuple[float, ...]
    min: float | None
    max: float | None
    start_ns: int
    time_ns: int


@dataclass(frozen=True)
class ExponentialHistogramPoint:
    attributes: Attributes
    count: int
    sum: float | None
    scale: int
    zero_count: int
    positive_offset: int
    positive_bucket_counts: tuple[int, ...]
    negative_offset: int
    negative_bucket_counts: tuple[int, ...]
    min: float | None
    max: float | None
    start_ns: int
    time_ns: int


MetricPoint = NumberPoint | HistogramPoint | ExponentialHistogramPoint


@dataclass(frozen=True)
class ReceivedMetric:
    """One metric of one export request; periodic exports of the same instrument arrive as separate records.

    ``is_monotonic`` is set for sums only, ``temporality`` ("CUMULATIVE"/"DELTA") for sums and histograms.
    Legacy summary metrics are recorded with ``kind="summary"`` and no points.
    """

    name: str
    unit: str
    description: str
    kind: MetricKind
    points: list[MetricPoint]
    is_monotonic: bool | None
    temporality: str | None
    resource: Attributes
    scope_name: str
    scope_version: str
    transport: Transport


@dataclass(frozen=True)
class ReceivedLog:
    """A log record; ``event_name`` is the LogRecord field if set, else the ``event.name`` attribute, else None."""

    event_name: str | None
    body: Any
    attributes: Attributes
    trace_id: str | None
    span_id: str | None
    severity_text: str
    severity_number: int
    timestamp_ns: int
    observed_timestamp_ns: int
    resource: Attributes
    scope_name: str
    scope_version: str
    transport: Transport
