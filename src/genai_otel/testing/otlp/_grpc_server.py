"""OTLP/gRPC side of the receiver: TraceService, MetricsService and LogsService on one server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ._faults import ExportHandler
from .records import Signal

# signal -> (module defining the service, service name, request class, response class)
_SERVICES: dict[Signal, tuple[Any, str, type[Any], type[Any]]] = {
    "traces": (
        trace_service_pb2,
        "TraceService",
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
    ),
    "metrics": (
        metrics_service_pb2,
        "MetricsService",
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
    "logs": (
        logs_service_pb2,
        "LogsService",
        logs_service_pb2.ExportLogsServiceRequest,
        logs_service_pb2.ExportLogsServiceResponse,
    ),
}
_RETRY_INFO_METADATA_KEY = "google.rpc.retryinfo-bin"  # read by the OTLP exporters to pick their retry delay
_MAX_WORKERS = 16
_STOP_GRACE_SECONDS = 1.0


def _retry_info(retry_after_seconds: float) -> bytes:
    whole_seconds = int(retry_after_seconds)
    nanos = round((retry_after_seconds - whole_seconds) * 1e9)
    return bytes(RetryInfo(retry_delay=Duration(seconds=whole_seconds, nanos=nanos)).SerializeToString())


class _ExportServicer:
    """Implements the single ``Export`` RPC that every OTLP collector service has."""

    def __init__(self, signal: Signal, response_class: type[Any], handle_export: ExportHandler) -> None:
        self._signal: Signal = signal
        self._response_class = response_class
        self._handle_export = handle_export

    def export(self, request: Any, context: grpc.ServicerContext) -> Any:
        verdict = self._handle_export(self._signal, "grpc", request, context.is_active)
        if verdict.outcome == "accepted":
            return self._response_class()
        if verdict.outcome == "throttled":
            context.set_trailing_metadata(((_RETRY_INFO_METADATA_KEY, _retry_info(verdict.retry_after_seconds)),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "test receiver is throttling")
        context.abort(grpc.StatusCode.UNAVAILABLE, f"test receiver is {verdict.outcome}")


def _service_handler(signal: Signal, handle_export: ExportHandler) -> grpc.GenericRpcHandler:
    """The handler for one collector service, e.g. ``opentelemetry.proto.collector.trace.v1.TraceService/Export``."""
    module, service, request_class, response_class = _SERVICES[signal]
    export = grpc.unary_unary_rpc_method_handler(
        _ExportServicer(signal, response_class, handle_export).export,
        request_deserializer=request_class.FromString,
        response_serializer=response_class.SerializeToString,
    )
    service_name = module.DESCRIPTOR.services_by_name[service].full_name
    return grpc.method_handlers_generic_handler(service_name, {"Export": export})


@dataclass
class RunningGrpcServer:
    server: grpc.Server
    executor: ThreadPoolExecutor
    port: int

    def stop(self) -> None:
        self.server.stop(grace=_STOP_GRACE_SECONDS).wait()
        self.executor.shutdown(wait=True)


def start_grpc_server(host: str, port: int, handle_export: ExportHandler) -> RunningGrpcServer:
    """Bind ``host:port`` (port 0 picks a free one) and serve; raises RuntimeError if the port is taken."""
    executor = ThreadPoolExecutor(max_workers=_MAX_WORKERS, thread_name_prefix="otlp-receiver-grpc")
    # so_reuseport=0: a second server must fail to bind a busy port instead of silently sharing it.
    server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers(tuple(_service_handler(signal, handle_export) for signal in _SERVICES))
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound_port = server.add_insecure_port(address)
    except RuntimeError:
        executor.shutdown(wait=False)
        raise
    server.start()
    return RunningGrpcServer(server, executor, bound_port)
