"""What the store-reading commands (``report``, ``tail``, ``doctor``) share: the ``--store`` option, ``--since``
parsing, exit statuses, and how figures are printed. All times are UTC.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

from genai_otel.localstore.query import Call
from genai_otel.localstore.store import store_path

EXIT_OK: Final = 0
EXIT_STORE: Final = 1
"""The store is missing, corrupt or unreadable (``doctor``: something needs attention)."""
EXIT_USAGE: Final = 2
"""Bad arguments (argparse's own status)."""
EXIT_EMPTY: Final = 3
"""No calls in the requested window."""

STORE_HELP: Final = ("the store file (default: $GENAI_OTEL_LOCAL_STORE_PATH, else "
                     "~/.local/share/genai-otel/calls.sqlite3)")


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", type=Path, help=STORE_HELP)


def resolve_store(args: argparse.Namespace) -> Path:
    chosen: Path | None = args.store
    return chosen.expanduser() if chosen is not None else store_path()


def out(text: str) -> bool:
    """Print ``text`` (and flush); False when the reader went away (``genai-otel report | head``)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
        return False
    return True


def fail(message: str, status: int) -> int:
    print(f"genai-otel: {message}", file=sys.stderr)
    return status


# --- --since ------------------------------------------------------------------------------------------------------

_RELATIVE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Since:
    text: str
    cutoff_ns: int | None
    """Calls starting at or after this time (Unix ns); None for every call."""


def parse_since(text: str, now_ns: int | None = None) -> Since:
    """``24h`` / ``30m`` / ``7d`` / ``90s`` / ``2w`` back from now, an ISO date or time (UTC unless it names an
    offset), or ``all``. An argparse ``type``: raises ArgumentTypeError."""
    cleaned = text.strip().lower()
    now = time.time_ns() if now_ns is None else now_ns
    if cleaned == "all":
        return Since("all", None)
    if match := _RELATIVE.fullmatch(cleaned):
        seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
        if seconds <= 0:
            raise argparse.ArgumentTypeError(f"not a positive duration: {text!r}")
        return Since(cleaned, now - int(seconds * 1e9))
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration like 24h, 30m, 7d, an ISO date/time like 2025-01-31 or 2025-01-31T09:00, or all; "
            f"got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return Since(text.strip(), int(moment.timestamp() * 1e9))


# --- formatting ---------------------------------------------------------------------------------------------------


def when(ns: int | None) -> str:
    if ns is None:
        return "-"
    seconds, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{rest // 1_000_000:03d}Z"


def iso(ns: int) -> str:
    """ISO 8601 UTC with milliseconds: ``2025-01-31T09:00:00.123Z``."""
    secs, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{rest // 1_000_000:03d}Z"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value * 1000:.1f}ms"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    return f"{value:.2f}s"


def dollars(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"${value:,.2f}"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "$" + text if text != "0" or value == 0 else "<$0.000001"


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> str:
    """Columns padded to width; columns from ``numeric_from`` on are right-aligned."""
    everything = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in everything) for i in range(len(header))]
    lines = []
    for row in everything:
        cells = [cell.rjust(width) if i >= numeric_from else cell.ljust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def models(call: Call) -> str:
    if call.response_model and call.request_model and call.response_model != call.request_model:
        return f"{call.request_model} -> {call.response_model}"
    return call.model or "-"


def call_line(call: Call) -> str:
    """One call on one line (``tail``, the report's top calls)."""
    tokens = f"in {count(call.input_tokens)} out {count(call.output_tokens)}"
    if call.cache_read_tokens:
        tokens += f" cached {call.cache_read_tokens:,}"
    if call.reasoning_tokens:
        tokens += f" reasoning {call.reasoning_tokens:,}"
    parts = [when(call.start_time_ns), call.operation or "-", call.provider or "-", models(call),
             seconds(call.duration_s)]
    if call.ttfc_s is not None:
        parts.append(f"ttfc {seconds(call.ttfc_s)}")
    status = (call.error_type or "error") if call.failed else "ok"
    parts += [tokens, dollars(call.cost_usd), status,
              f"trace {call.trace_id} span {call.span_id}"]
    return "  ".join(parts)
