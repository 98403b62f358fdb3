"""The server itself: lifecycle, recorded requests, routing, directive parsing, the command line."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from genai_otel.testing.fake_llm import Directives, FakeLLMServer, parse_directives


def _post(server: FakeLLMServer, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("POST", path, body=body, headers={"content-type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_urls() -> None:
    with FakeLLMServer() as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.openai_base_url == server.url + "/v1"
        assert server.anthropic_base_url == server.bedrock_base_url == server.url
        assert server.vertex_base_url == server.url + "/v1"


def test_stop_frees_the_port_even_with_open_keep_alive_connections() -> None:
    server = FakeLLMServer().start()
    port = server.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("POST", "/v1/chat/completions", body=b'{"model": "m", "messages": []}')
    idle.getresponse().read()  # the connection stays open, its handler thread waiting for the next request
    server.stop()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(f"fake-llm-{port}")]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # no SO_REUSEADDR needed: connections were reset, nothing in TIME_WAIT
    FakeLLMServer(port=port).start().stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    idle.close()
    server.stop()  # stopping twice is harmless
    with pytest.raises(RuntimeError):
        _ = server.url


def test_stop_interrupts_a_slow_stream() -> None:
    server = FakeLLMServer().start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = json.dumps({"model": "m", "messages": [], "stream": True}).encode()
    connection.request("POST", "/v1/chat/completions", body=body, headers={"x-fake-llm": "chunk_delay_ms=5000"})
    response = connection.getresponse()
    assert response.status == 200
    server.stop()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    connection.close()


def test_requests_are_recorded_and_cleared(server: FakeLLMServer) -> None:
    status, _ = _post(server, "/v1/messages?beta=true", b'{"model": "claude", "max_tokens": 5, "messages": []}',
                      {"X-Fake-LLM": "chunks=1", "X-Custom": "yes"})  # fmt: skip
    assert status == 200
    (request,) = server.requests
    assert (request.method, request.path, request.query) == ("POST", "/v1/messages", {"beta": "true"})
    assert request.headers["x-custom"] == "yes" and request.directives == "chunks=1"
    assert request.body == {"model": "claude", "max_tokens": 5, "messages": []}
    server.clear()
    assert server.requests == []


def test_unknown_path_and_bad_json(server: FakeLLMServer) -> None:
    status, body = _post(server, "/v1/nothing-here", b"{}")
    assert status == 404
    assert json.loads(body)["error"]["message"] == "Invalid URL (POST /v1/nothing-here)"
    status, body = _post(server, "/v1/messages", b"{not json")
    assert status == 400
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_concurrent_requests(server: FakeLLMServer) -> None:
    body = json.dumps({"model": "m", "messages": [], "stream": True}).encode()
    results: list[int] = []

    def call() -> None:
        results.append(_post(server, "/v1/chat/completions", body, {"x-fake-llm": "chunk_delay_ms=20"})[0])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    assert len({request.headers.get("x-fake-llm") for request in server.requests}) == 1


def test_parse_directives() -> None:
    assert parse_directives(None) == Directives()
    parsed = parse_directives(" chunks=3 , status=429,ratelimit, finish=length,fail_first=2,fail_status=503 ")
    assert (parsed.chunks, parsed.status, parsed.ratelimit, parsed.finish) == (3, 429, True, "length")
    assert (parsed.fail_first, parsed.fail_status) == (2, 503)
    assert parse_directives("ratelimit=false").ratelimit is False
    for bad in ("chunks", "chunks=-1", "response_status=done", "nope=1"):
        with pytest.raises(ValueError):
            parse_directives(bad)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_line_serves_until_signalled(tmp_path: Path, stop_signal: signal.Signals) -> None:
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_otel.testing.fake_llm", "--url-file", str(url_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("fake-llm listening on http://127.0.0.1:")
        url = line.removeprefix("fake-llm listening on ")
        assert url_file.read_text().strip() == url
        port = int(url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("POST", "/v1/embeddings", body=b'{"model": "text-embedding-3-small", "input": "hi"}')
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
