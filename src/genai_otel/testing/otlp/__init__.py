"""Machinery behind :mod:`genai_otel.testing.otlp_receiver`; import the public names from there."""

from .receiver import MAX_HANG_SECONDS, OTLPReceiver
from .records import (
    ExponentialHistogramPoint,
    HistogramPoint,
    MetricPoint,
    NumberPoint,
    ReceivedLog,
    ReceivedMetric,
    ReceivedSpan,
    SpanEvent,
)

__all__ = [
    "MAX_HANG_SECONDS",
    "ExponentialHistogramPoint",
    "HistogramPoint",
    "MetricPoint",
    "NumberPoint",
    "OTLPReceiver",
    "ReceivedLog",
    "ReceivedMetric",
    "ReceivedSpan",
    "SpanEvent",
]
