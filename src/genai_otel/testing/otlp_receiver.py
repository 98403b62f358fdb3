"""A real OTLP receiver for tests: OTLP/gRPC and OTLP/HTTP on free local ports, decoded into plain Python.

Point the SDK's real exporters at it and assert on what actually went over the wire::

    from genai_otel.testing.otlp_receiver import OTLPReceiver

    with OTLPReceiver() as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.grpc_endpoint, insecure=True)       # gRPC
        # or OTLPSpanExporter(endpoint=receiver.http_url("traces")) for http/protobuf
        ...
        (span,) = receiver.wait_for_spans("chat gpt-4o")
        assert span.attributes["gen_ai.usage.input_tokens"] == 12

- Both transports record into the same store; every record says which ``transport`` ("grpc"/"http") carried it.
- HTTP accepts ``application/x-protobuf`` and ``application/json`` (OTLP/JSON, hex ids), plain, gzip or deflate.
- ``spans()``, ``metrics()``, ``logs()`` return :class:`ReceivedSpan`, :class:`ReceivedMetric`, :class:`ReceivedLog`.
- ``wait_for_spans/metrics/logs(expected, timeout=10.0, count=1)``: ``expected`` is a minimum count, a name or a
  predicate; on timeout they raise AssertionError listing what arrived and the export requests seen.
- ``request_count(signal, transport, outcome)`` counts export requests, including refused ones.
- ``set_mode("ok" | "unavailable" | "throttle" | "hang")`` injects collector faults; ``stop()`` then ``start()``
  (or ``restart()``) serves again on the same ports, to prove that exporting resumes after an outage.

From a shell, or as a subprocess in end-to-end tests::

    python -m genai_otel.testing.otlp_receiver --dump received.json [--host H] [--grpc-port P] [--http-port P]

prints one JSON line, ``{"grpc_endpoint": "http://127.0.0.1:PORT", "http_endpoint": "http://127.0.0.1:PORT"}``,
and serves until SIGTERM or SIGINT; then it stops and writes (atomically) everything received to FILE as
``{"spans": [...], "metrics": [...], "logs": [...], "requests": [{"signal", "transport", "outcome", "count"}]}``,
with the records' fields as keys, tuples as lists and bytes as hex strings.
"""

from __future__ import annotations

from .otlp import (
    MAX_HANG_SECONDS,
    ExponentialHistogramPoint,
    HistogramPoint,
    MetricPoint,
    NumberPoint,
    OTLPReceiver,
    ReceivedLog,
    ReceivedMetric,
    ReceivedSpan,
    SpanEvent,
)
from .otlp._cli import main

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
    "main",
]

if __name__ == "__main__":
    raise SystemExit(main())
