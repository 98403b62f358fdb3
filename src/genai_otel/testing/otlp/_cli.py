"""``python -m genai_otel.testing.otlp_receiver``: run a receiver until SIGTERM/SIGINT, then dump what it got."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from .receiver import OTLPReceiver

_POLL_SECONDS = 0.1


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m genai_otel.testing.otlp_receiver",
        description="Receive OTLP (gRPC and HTTP) and, on SIGTERM or SIGINT, write everything received as JSON.",
    )
    parser.add_argument("--dump", type=Path, metavar="FILE", help="where to write the received telemetry as JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--grpc-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--http-port", type=int, default=0, help="default: a free port")
    return parser.parse_args(argv)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    receiver = OTLPReceiver(args.host, grpc_port=args.grpc_port, http_port=args.http_port).start()
    print(json.dumps({"grpc_endpoint": receiver.grpc_endpoint, "http_endpoint": receiver.http_endpoint}), flush=True)
    try:
        while not stop_requested.is_set():
            time.sleep(_POLL_SECONDS)
    finally:
        receiver.stop()
        if args.dump is not None:
            _write_atomically(args.dump, receiver.dump_json())
    return 0
