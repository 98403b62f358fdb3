"""``python -m genai_otel.testing.fake_llm [--host H] [--port N] [--url-file PATH]``: serve until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from genai_otel.testing.fake_llm._server import FakeLLMServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genai_otel.testing.fake_llm",
        description="Serve a fake OpenAI / Anthropic API on local HTTP until SIGTERM or SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--url-file", type=Path, help="also write the server URL to this file")
    options = parser.parse_args(argv)

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with FakeLLMServer(host=options.host, port=options.port) as server:
        if options.url_file is not None:
            _write_atomically(options.url_file, server.url + "\n")
        print(f"fake-llm listening on {server.url}", flush=True)
        while not stop_requested.wait(0.2):
            pass
    return 0


def _write_atomically(path: Path, text: str) -> None:
    """Readers polling for the file never see it half-written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
