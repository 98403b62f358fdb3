"""OTLPReceiver: a real OTLP/gRPC + OTLP/HTTP endpoint that records what it receives, with fault injection."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._decode import decode_logs, decode_metrics, decode_spans
from ._faults import FaultGate, Mode, Verdict
from ._grpc_server import RunningGrpcServer, start_grpc_server
from ._http_server import RunningHttpServer, start_http_server
from ._json import records_to_json
from ._store import TelemetryStore, describe_log, describe_metric, describe_span
from .records import ReceivedLog, ReceivedMetric, ReceivedSpan, Signal, Transport

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["MAX_HANG_SECONDS", "OTLPReceiver"]

MAX_HANG_SECONDS = 30.0
_DECODERS: dict[Signal, Callable[[Any, Transport], list[Any]]] = {
    "traces": decode_spans,
    "metrics": decode_metrics,
    "logs": decode_logs,
}
SpanSelector = int | str | Callable[[ReceivedSpan], bool]
MetricSelector = int | str | Callable[[ReceivedMetric], bool]
LogSelector = int | str | Callable[[ReceivedLog], bool]


class OTLPReceiver:
    """Receive OTLP over gRPC and HTTP on free local ports and keep the decoded telemetry in memory.

    Use as a context manager, or ``start()``/``stop()``. After ``stop()``, ``start()`` binds the same ports again,
    so exporters configured with the old endpoints resume. Records and the fault mode survive a restart.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        grpc_port: int = 0,
        http_port: int = 0,
        max_hang_seconds: float = MAX_HANG_SECONDS,
    ) -> None:
        self._host = host
        self._grpc_port = grpc_port
        self._http_port = http_port
        self._store = TelemetryStore()
        self._gate = FaultGate(max_hang_seconds)
        self._grpc: RunningGrpcServer | None = None
        self._http: RunningHttpServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self.is_running:
            return self
        self._gate.open()
        self._grpc = start_grpc_server(self._host, self._grpc_port, self._handle_export)
        self._grpc_port = self._grpc.port
        try:
            self._http = start_http_server(self._host, self._http_port, self._handle_export, self._count_rejected)
        except OSError:
            self._grpc.stop()
            self._grpc = None
            raise
        self._http_port = self._http.port
        return self

    def stop(self) -> None:
        """Release hung requests, stop both servers, free their ports and join their threads. Idempotent."""
        self._gate.close()
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._grpc is not None:
            self._grpc.stop()
            self._grpc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def is_running(self) -> bool:
        return self._grpc is not None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- endpoints -------------------------------------------------------------------------------------------------

    @property
    def grpc_endpoint(self) -> str:
        """``http://HOST:PORT`` for OTLP/gRPC exporters."""
        return f"http://{self._url_host}:{self._bound_port(self._grpc_port)}"

    @property
    def http_endpoint(self) -> str:
        """``http://HOST:PORT``: the OTLP/HTTP base URL, without the ``/v1/<signal>`` path."""
        return f"http://{self._url_host}:{self._bound_port(self._http_port)}"

    def http_url(self, signal: Signal) -> str:
        """The full per-signal OTLP/HTTP URL, e.g. ``http_url("traces")`` -> ``http://127.0.0.1:PORT/v1/traces``."""
        return f"{self.http_endpoint}/v1/{signal}"

    def exporter_env(self, protocol: str = "grpc") -> dict[str, str]:
        """Environment variables pointing the SDK's OTLP exporters here (``grpc`` or ``http/protobuf``)."""
        endpoint = self.grpc_endpoint if protocol == "grpc" else self.http_endpoint
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}

    @property
    def _url_host(self) -> str:
        return f"[{self._host}]" if ":" in self._host else self._host

    @staticmethod
    def _bound_port(port: int) -> int:
        if port == 0:
            raise RuntimeError("OTLPReceiver has not been started, so it has no port yet")
        return port

    # -- fault injection -------------------------------------------------------------------------------------------

    def set_mode(self, mode: Mode, *, retry_after_seconds: float = 1.0) -> None:
        """Choose how export requests are answered from now on.

        "ok": accept and record. "unavailable": gRPC UNAVAILABLE / HTTP 503. "throttle": gRPC RESOURCE_EXHAUSTED
        with a RetryInfo delay / HTTP 429 with ``Retry-After`` (both ``retry_after_seconds``). "hang": answer
        nothing until the mode changes, the client gives up, the receiver stops or ``max_hang_seconds`` pass, then
        answer UNAVAILABLE / 503. Only accepted requests are recorded.
        """
        self._gate.set_mode(mode, retry_after_seconds)

    @property
    def mode(self) -> Mode:
        return self._gate.mode

    # -- received data ---------------------------------------------------------------------------------------------

    def spans(self) -> list[ReceivedSpan]:
        return self._store.records("traces")

    def metrics(self) -> list[ReceivedMetric]:
        return self._store.records("metrics")

    def logs(self) -> list[ReceivedLog]:
        return self._store.records("logs")

    def clear(self) -> None:
        """Forget every record and request count (the mode is kept)."""
        self._store.clear()

    def request_count(
        self, signal: Signal | None = None, transport: Transport | None = None, outcome: str | None = None
    ) -> int:
        """Export requests received so far, filtered by signal, transport and/or outcome.

        Outcomes: "accepted", "unavailable", "throttled", "hung" (counted on arrival) and "rejected" (undecodable).
        """
        return sum(
            count
            for (seen_signal, seen_transport, seen_outcome), count in self._store.request_counts().items()
            if signal in (None, seen_signal) and transport in (None, seen_transport) and outcome in (None, seen_outcome)
        )

    def request_counts(self) -> dict[tuple[str, str, str], int]:
        """Every non-zero count keyed by ``(signal, transport, outcome)``."""
        return self._store.request_counts()

    def wait_for_spans(
        self, expected: SpanSelector = 1, timeout: float = 10.0, *, count: int = 1
    ) -> list[ReceivedSpan]:
        """Wait for at least ``expected`` spans (int; returns all), or for ``count`` spans with that name (str) or
        matching that predicate (returns the matches). Raises AssertionError listing what arrived on timeout."""
        return self._store.wait_for("traces", expected, count, timeout, lambda span: span.name, describe_span)

    def wait_for_metrics(
        self, expected: MetricSelector = 1, timeout: float = 10.0, *, count: int = 1
    ) -> list[ReceivedMetric]:
        """Like :meth:`wait_for_spans`, for metrics (a str matches the metric name)."""
        return self._store.wait_for("metrics", expected, count, timeout, lambda metric: metric.name, describe_metric)

    def wait_for_logs(self, expected: LogSelector = 1, timeout: float = 10.0, *, count: int = 1) -> list[ReceivedLog]:
        """Like :meth:`wait_for_spans`, for log records (a str matches the event name)."""
        return self._store.wait_for("logs", expected, count, timeout, lambda log: log.event_name, describe_log)

    def dump_json(self) -> str:
        """Everything received, as JSON: ``{"spans": [...], "metrics": [...], "logs": [...], "requests": [...]}``."""
        requests = [
            {"signal": signal, "transport": transport, "outcome": outcome, "count": count}
            for (signal, transport, outcome), count in sorted(self.request_counts().items())
        ]
        return records_to_json(
            {"spans": self.spans(), "metrics": self.metrics(), "logs": self.logs(), "requests": requests}
        )

    # -- shared by both transports ---------------------------------------------------------------------------------

    def _handle_export(
        self, signal: Signal, transport: Transport, request: Any, client_waiting: Callable[[], bool]
    ) -> Verdict:
        verdict = self._gate.verdict()
        self._store.count_request(signal, transport, verdict.outcome)
        if verdict.outcome == "hung":
            self._gate.hold(client_waiting)
        elif verdict.outcome == "accepted":
            self._store.add(signal, _DECODERS[signal](request, transport))
        return verdict

    def _count_rejected(self, signal: Signal, transport: Transport) -> None:
        self._store.count_request(signal, transport, "rejected")
