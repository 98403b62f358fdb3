"""The HTTP side: a threaded HTTP/1.1 server that records requests and writes replies (JSON or chunked streams)."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from genai_otel.testing.fake_llm._call import RecordedRequest, ServerState
from genai_otel.testing.fake_llm._replies import BodyReply, DropConnection, StreamReply
from genai_otel.testing.fake_llm._router import Delivery, dispatch

if TYPE_CHECKING:
    from typing_extensions import Self

_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class FakeLLMServer:
    """A local stand-in for the OpenAI and Anthropic APIs (and Anthropic on Bedrock and Vertex), over real HTTP.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeLLMServer() as server:
            client = openai.OpenAI(base_url=server.openai_base_url, api_key="fake")
            client.chat.completions.create(model="gpt-4o-mini", messages=[...])
            assert server.requests[-1].path == "/v1/chat/completions"
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._state = ServerState()
        self._received: list[RecordedRequest] = []
        self._received_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(self._address, _Handler, owner=self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.name = f"fake-llm-{self.port}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection, join all threads and free the port."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake LLM server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def bedrock_base_url(self) -> str:
        return self.url

    @property
    def vertex_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._received_lock:
            return list(self._received)

    def clear(self) -> None:
        """Forget received requests, ``fail_first`` attempt counts and stored Responses-API responses."""
        with self._received_lock:
            self._received.clear()
        self._state.reset()

    def _handle(self, request: RecordedRequest, raw_body: bytes) -> Delivery:
        with self._received_lock:
            self._received.append(request)
        try:
            return dispatch(request, raw_body, self._state)
        except Exception as error:  # noqa: BLE001 - a bug in the fake: answer 500 and say so, never hang up silently
            traceback.print_exc(file=sys.stderr)
            body = json.dumps({"error": {"message": f"fake-llm internal error: {error!r}", "type": "fake_llm_bug"}})
            return Delivery(BodyReply(500, body.encode(), {"content-type": "application/json"}))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many concurrent clients connect at once in the concurrency tests
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: FakeLLMServer) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(target=self._serve_connection, args=(request, client_address), daemon=True)
        with self._lock:
            self._connections.add(request)
            self._workers.add(worker)
        worker.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:  # the client vanished mid-request: nothing left to answer
            pass
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.discard(request)
                self._workers.discard(threading.current_thread())

    def close_connections(self) -> None:
        with self._lock:
            connections, workers = list(self._connections), list(self._workers)
        for connection in connections:
            try:  # reset rather than close gracefully, so no TIME_WAIT keeps the port busy after stop()
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for worker in workers:
            worker.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers go out in several small writes; without TCP_NODELAY, Nagle plus the client's delayed ACK adds ~40 ms to
    # every response on loopback.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and the demo read their own output."""

    def _answer(self) -> None:
        raw_body = self._read_body()
        split = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers=headers,
            body=_parse_json(raw_body),
        )
        delivery = self.server.owner._handle(request, raw_body)
        if delivery.delay_s and self.server.stopping.wait(delivery.delay_s):
            self.close_connection = True
            return
        try:
            self._write(delivery)
        except _CLIENT_GONE:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, delivery: Delivery) -> None:
        reply = delivery.reply
        if isinstance(reply, DropConnection):
            self._drop()
        elif isinstance(reply, BodyReply):
            self._start(reply.status, reply.headers)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        else:
            self._stream(reply, delivery)

    def _stream(self, reply: StreamReply, delivery: Delivery) -> None:
        self._start(reply.status, reply.headers)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        content_sent = 0
        for position, frame in enumerate(reply.frames):
            if frame.is_content and delivery.break_after is not None and content_sent >= delivery.break_after:
                self._drop()
                return
            if position and delivery.frame_delay_s and self.server.stopping.wait(delivery.frame_delay_s):
                self._drop()
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame.data), frame.data))
            self.wfile.flush()
            content_sent += frame.is_content
        self.wfile.write(b"0\r\n\r\n")

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("connection", "close" if self.close_connection else "keep-alive")

    def _drop(self) -> None:
        """Cut the connection mid-reply: the client sees the body end early, with no closing chunk."""
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
