"""OTLP/HTTP side of the receiver: POST /v1/traces, /v1/metrics and /v1/logs (protobuf or JSON, gzip/deflate)."""

from __future__ import annotations

import gzip
import select
import socket
import socketserver
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.message import DecodeError, Message
from google.rpc import code_pb2
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ._faults import ExportHandler, RejectionCounter, Verdict
from ._json import parse_otlp_json, to_otlp_json
from .records import Signal

_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"
_ROUTES: dict[str, tuple[Signal, type[Message], type[Message]]] = {
    "/v1/traces": ("traces", trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "/v1/metrics": (
        "metrics",
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
    "/v1/logs": ("logs", logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}
_FAILURE_STATUS = {"throttled": 429, "unavailable": 503, "hung": 503}
_GRPC_CODE_BY_HTTP_STATUS = {
    400: code_pb2.INVALID_ARGUMENT,
    404: code_pb2.NOT_FOUND,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}
_SOCKET_TIMEOUT_SECONDS = 10.0
_SHUTDOWN_POLL_SECONDS = 0.05  # how quickly serve_forever notices shutdown()


class _RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _decompress(body: bytes, content_encoding: str) -> bytes:
    try:
        if content_encoding in ("", "identity"):
            return body
        if content_encoding == "gzip":
            return gzip.decompress(body)
        if content_encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error) as error:
        raise _RequestError(400, f"cannot decompress {content_encoding} body: {error}") from error
    raise _RequestError(415, f"unsupported Content-Encoding {content_encoding!r}")


def _parse(body: bytes, content_type: str, request_class: type[Message]) -> Message:
    try:
        if content_type == _PROTOBUF:
            return request_class.FromString(body)
        if content_type == _JSON:
            return parse_otlp_json(body, request_class)
    except (DecodeError, ValueError, TypeError) as error:
        raise _RequestError(400, f"cannot parse {content_type} body: {error}") from error
    raise _RequestError(415, f"unsupported Content-Type {content_type!r}")


class _OTLPRequestHandler(BaseHTTPRequestHandler):
    server: OTLPHTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection keeps shutdown simple
    timeout = _SOCKET_TIMEOUT_SECONDS

    def do_POST(self) -> None:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            route = _ROUTES.get(self.path.split("?")[0])
            body = self._read_body()
            if route is None:
                raise _RequestError(404, f"no OTLP endpoint at {self.path}")
            signal, request_class, response_class = route
            body = _decompress(body, self.headers.get("Content-Encoding", "").strip().lower())
            request = _parse(body, content_type, request_class)
        except _RequestError as error:
            if route is not None:
                self.server.count_rejected(route[0], "http")
            self._reply_status(error.status, str(error), content_type)
            return
        verdict = self.server.handle_export(signal, "http", request, self._client_still_connected)
        if verdict.outcome == "accepted":
            self._reply(200, response_class(), content_type)
        else:
            self._reply_failure(verdict, content_type)

    def _read_body(self) -> bytes:
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked_body()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        except ValueError as error:
            raise _RequestError(400, f"malformed request framing: {error}") from error

    def _read_chunked_body(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers, then the blank line
            pass
        return b"".join(chunks)

    def _client_still_connected(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return True
        try:
            return bool(self.connection.recv(1, socket.MSG_PEEK))
        except OSError:
            return False

    def _reply_failure(self, verdict: Verdict, content_type: str) -> None:
        headers = {}
        if verdict.outcome == "throttled":
            headers["Retry-After"] = f"{verdict.retry_after_seconds:g}"
        self._reply_status(
            _FAILURE_STATUS[verdict.outcome], f"test receiver is {verdict.outcome}", content_type, headers
        )

    def _reply_status(
        self, status: int, message: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._reply(
            status,
            Status(code=_GRPC_CODE_BY_HTTP_STATUS.get(status, code_pb2.UNKNOWN), message=message),
            content_type,
            headers,
        )

    def _reply(self, status: int, message: Message, content_type: str, headers: dict[str, str] | None = None) -> None:
        as_json = content_type == _JSON
        payload = to_otlp_json(message) if as_json else message.SerializeToString()
        self.send_response(status)
        self.send_header("Content-Type", _JSON if as_json else _PROTOBUF)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a hung request); nobody is left to answer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the receiver's records, not its access log."""


class OTLPHTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, handle_export: ExportHandler, count_rejected: RejectionCounter) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.handle_export = handle_export
        self.count_rejected = count_rejected
        super().__init__((host, port), _OTLPRequestHandler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind: its reverse-DNS lookup (getfqdn) can be slow and is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


@dataclass
class RunningHttpServer:
    server: OTLPHTTPServer
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def start_http_server(
    host: str, port: int, handle_export: ExportHandler, count_rejected: RejectionCounter
) -> RunningHttpServer:
    """Bind ``host:port`` (port 0 picks a free one) and serve on a thread; raises OSError if the port is taken."""
    server = OTLPHTTPServer(host, port, handle_export, count_rejected)
    thread = threading.Thread(
        target=server.serve_forever, args=(_SHUTDOWN_POLL_SECONDS,), name="otlp-receiver-http", daemon=True
    )
    thread.start()
    return RunningHttpServer(server, thread, int(server.server_address[1]))
