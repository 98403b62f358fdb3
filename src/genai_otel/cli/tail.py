"""``genai-otel tail``: follow the calls arriving in the local store, one line each.

::

    genai-otel tail                      # the last 10 calls, then every new one until Ctrl-C
    genai-otel tail --last 0             # only new calls
    genai-otel tail --count 5            # stop after printing 5 calls
    genai-otel tail --timeout 30         # stop after 30 seconds
    genai-otel tail --json               # one JSON object per line

A line: start time (UTC), operation, provider, requested -> response model, duration, time to first chunk (streams),
tokens, cost, status or error type, trace and span ids. Calls appear when the application's span processor exports
them (every few seconds with the SDK's batch defaults, ``OTEL_BSP_SCHEDULE_DELAY``).

If the store does not exist yet, ``tail`` waits for it. Exit status: 0 (Ctrl-C, ``--count`` or ``--timeout``
reached), 1 for a corrupt or unreadable store, or when ``--timeout`` passes before the store appears, 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from genai_otel.cli import _common as common
from genai_otel.cli._common import EXIT_OK, EXIT_STORE, fail
from genai_otel.localstore.query import Call, StoreError, StoreMissing, open_store

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``tail`` subcommand (see :mod:`genai_otel.cli`)."""
    parser = subparsers.add_parser(
        "tail", help="follow new calls in the local store, one line each",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Exit status: 0, 1 corrupt store (or none appeared before --timeout), 2 bad arguments.",
    )
    parser.add_argument("--last", type=_whole, default=10, metavar="N",
                        help="first print the last N stored calls (default 10; 0 for only new ones)")
    parser.add_argument("--count", type=_positive, metavar="N", help="stop after printing N calls")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="stop after this many seconds")
    parser.add_argument("--interval", type=_seconds, default=0.5, metavar="SECONDS",
                        help="how often to look for new calls (default 0.5)")
    parser.add_argument("--json", action="store_true", help="one JSON object per call")
    common.add_store_argument(parser)
    parser.set_defaults(handler=run)


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _positive(text: str) -> int:
    value = _whole(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    path = common.resolve_store(args)
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    printed = 0
    last_id: int | None = None
    waiting_said = False
    try:
        while True:
            try:
                with open_store(path) as reader:
                    if last_id is None:
                        backlog = reader.last(args.last) if args.last else []
                        last_id = backlog[-1].id if backlog else reader.max_id()
                        new = backlog
                        print(f"genai-otel: following {path} (Ctrl-C to stop)", file=sys.stderr, flush=True)
                    else:
                        new = reader.calls_after(last_id)
            except StoreMissing:
                if not waiting_said:
                    print(f"genai-otel: waiting for {path} to be created", file=sys.stderr, flush=True)
                    waiting_said = True
                new = []
            except StoreError as exc:
                return fail(str(exc), EXIT_STORE)
            for call in new:
                if not common.out(_line(call, args.json)):
                    return EXIT_OK  # the reader went away (`genai-otel tail | head -3`)
                last_id = max(last_id or 0, call.id)
                printed += 1
                if args.count is not None and printed >= args.count:
                    return EXIT_OK
            if deadline is not None and time.monotonic() >= deadline:
                if last_id is None:
                    return fail(f"no store appeared at {path} within {args.timeout:g}s", EXIT_STORE)
                return EXIT_OK
            pause = args.interval if deadline is None else min(args.interval, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
    except KeyboardInterrupt:
        return EXIT_OK


def _line(call: Call, as_json: bool) -> str:
    return json.dumps(call.to_dict(), separators=(",", ":")) if as_json else common.call_line(call)
