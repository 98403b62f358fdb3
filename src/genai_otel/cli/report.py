"""``genai-otel report``: what the stored GenAI calls cost, how slow they were and which failed.

::

    genai-otel report                          # per provider and model, every stored call
    genai-otel report --since 24h              # 30m, 7d, 2w, an ISO date or time (UTC), or all (default)
    genai-otel report --by day                 # or hour, operation, provider, model, response_model, server,
                                               # service, status, error_type, prompt_hash, or any span attribute
    genai-otel report --by provider,operation  # several keys
    genai-otel report --json | --csv           # machine-readable
    genai-otel report --html report.html       # one self-contained file with charts (no network needed)

Per group: calls, errors and error rate, p50/p95/p99 duration, p50 time to first chunk (streams), tokens
(input with cached included, output with reasoning included, cache reads, cache writes, reasoning) and cost (the sum
of the known costs; calls that used tokens without a known price are counted as unpriced). Then the most expensive
and the slowest calls with their trace ids. Percentiles interpolate between the nearest ranks. Times are UTC.

Exit status: 0, 1 for a missing, corrupt or unreadable store, 2 for bad arguments, 3 when no call is in the window.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from genai_otel.cli import _common as common
from genai_otel.cli._common import EXIT_EMPTY, EXIT_OK, EXIT_STORE, Since, fail
from genai_otel.localstore.query import Call, StoreError, open_store
from genai_otel.localstore.stats import DEFAULT_GROUPING, group, key_names, summarize, top

__all__ = ["build_report", "register", "run"]

_TOKEN_COLUMNS = ("input", "output", "cache_read", "cache_creation", "reasoning")


def register(subparsers: Any) -> None:
    """Add the ``report`` subcommand (see :mod:`genai_otel.cli`)."""
    parser = subparsers.add_parser(
        "report", help="cost, latency and errors of the calls in the local store",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Exit status: 0, 1 missing/corrupt store, 2 bad arguments, 3 no calls in the window.",
    )
    parser.add_argument("--since", type=common.parse_since, default=Since("all", None), metavar="WHEN",
                        help="only calls started since: 24h, 30m, 7d, 2w, an ISO date/time (UTC), or all (default)")
    parser.add_argument("--by", type=_grouping, default=DEFAULT_GROUPING, metavar="KEYS",
                        help=f"comma-separated grouping keys: {', '.join(key_names())}, or any span attribute name "
                             f"(default: {','.join(DEFAULT_GROUPING)})")
    parser.add_argument("--top", type=_top_count, default=5, metavar="N",
                        help="how many of the most expensive and of the slowest calls to list (default 5)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    output.add_argument("--csv", action="store_true", help="print the groups as CSV")
    output.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report with charts")
    common.add_store_argument(parser)
    parser.set_defaults(handler=run)


def _grouping(text: str) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in text.split(","))
    if not all(keys):
        raise argparse.ArgumentTypeError(f"expected comma-separated keys, got {text!r}")
    if len(set(keys)) != len(keys):
        raise argparse.ArgumentTypeError(f"a key is repeated in {text!r}")
    return keys


def _top_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    path = common.resolve_store(args)
    try:
        with open_store(path) as reader:
            calls = reader.calls(args.since.cutoff_ns)
            info = reader.info()
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    if not calls:
        cutoff = args.since.cutoff_ns
        window = "" if cutoff is None else f" since {args.since.text} ({common.when(cutoff)})"
        stored = (f"it holds {info.rows:,} call{'s' if info.rows != 1 else ''}, the newest started "
                  f"{common.when(info.newest_ns)}" if info.rows else "it is empty")
        return fail(f"no calls{window} in {path}: {stored}", EXIT_EMPTY)
    report = build_report(calls, args.by, args.top, store=path, since=args.since)
    if args.json:
        common.out(json.dumps(report, indent=2))
    elif args.csv:
        buffer = io.StringIO()
        _write_csv(buffer, report, args.by)
        common.out(buffer.getvalue().rstrip("\n"))
    elif args.html is not None:
        from genai_otel.cli._html import render  # noqa: PLC0415 - only for --html

        try:
            args.html.write_text(render(report, calls), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.html}: {exc}", EXIT_STORE)
        print(f"wrote {args.html} ({len(calls):,} calls)")
    else:
        common.out(_text(report, args.by))
    return EXIT_OK


def brief(call: Call) -> dict[str, Any]:
    """A call as the report lists it."""
    return {
        "time": common.iso(call.start_time_ns), "trace_id": call.trace_id, "span_id": call.span_id,
        "operation": call.operation, "provider": call.provider, "request_model": call.request_model,
        "response_model": call.response_model, "duration_s": call.duration_s, "ttfc_s": call.ttfc_s,
        "input_tokens": call.input_tokens, "output_tokens": call.output_tokens, "cost_usd": call.cost_usd,
        "status": call.status, "error_type": call.error_type,
    }  # fmt: skip


def build_report(calls: Sequence[Call], by: Sequence[str], top_count: int, *, store: Path,
                 since: Since) -> dict[str, Any]:
    """The report as plain data (what ``--json`` prints and the HTML report draws)."""
    groups = []
    for key, summary in group(calls, by):
        values = [list(value) if isinstance(value, tuple) else value for value in key]
        groups.append({"key": dict(zip(by, values, strict=True)), **summary.to_dict()})
    return {
        "store": str(store),
        "since": since.text,
        "since_time": common.iso(since.cutoff_ns) if since.cutoff_ns is not None else None,
        "by": list(by),
        "window": {"calls": len(calls), "first": common.iso(min(c.start_time_ns for c in calls)),
                   "last": common.iso(max(c.start_time_ns for c in calls))},
        "groups": groups,
        "total": summarize(calls).to_dict(),
        "most_expensive": [brief(call) for call in top(calls, "cost_usd", top_count)],
        "slowest": [brief(call) for call in top(calls, "duration_s", top_count)],
    }


def _summary_cells(data: dict[str, Any]) -> list[str]:
    cost = common.dollars(data["cost_usd"]) + ("*" if data["unpriced_calls"] else "")
    return [
        common.count(data["calls"]), common.count(data["errors"]), f"{data['error_rate'] * 100:.1f}%",
        common.seconds(data["duration_s"]["p50"]), common.seconds(data["duration_s"]["p95"]),
        common.seconds(data["duration_s"]["p99"]), common.seconds(data["ttfc_s"]["p50"]),
        *(common.count(data["tokens"][kind]) for kind in ("input", "output", "cache_read", "reasoning")), cost,
    ]


def _text(report: dict[str, Any], by: Sequence[str]) -> str:
    window = report["window"]
    since = "" if report["since_time"] is None else f" since {report['since']} ({report['since_time']})"
    lines = [f"genai-otel report: {window['calls']:,} calls{since}, from {window['first']} to {window['last']}",
             f"store: {report['store']}", ""]
    header = [*by, "calls", "errors", "error%", "p50", "p95", "p99", "ttfc p50", "input", "output", "cached",
              "reasoning", "cost"]
    rows = [[_cell(item["key"][name]) for name in by] + _summary_cells(item) for item in report["groups"]]
    if len(rows) > 1:
        rows.append(["total", *[""] * (len(by) - 1), *_summary_cells(report["total"])])
    lines.append(common.table(header, rows, numeric_from=len(by)))
    unpriced = report["total"]["unpriced_calls"]
    if unpriced:
        lines += ["", f"* {unpriced:,} call{'s' if unpriced != 1 else ''} used tokens with no known price; the cost "
                      "leaves them out (`genai-otel doctor` lists the models)."]
    for title, calls in (("Most expensive calls", report["most_expensive"]), ("Slowest calls", report["slowest"])):
        if calls:
            lines += ["", f"{title}:"]
            lines += [f"  {_brief_line(call)}" for call in calls]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _brief_line(call: dict[str, Any]) -> str:
    model = call["request_model"] or call["response_model"] or "-"
    if call["response_model"] and call["response_model"] != model:
        model += f" -> {call['response_model']}"
    status = call["error_type"] or call["status"] if call["status"] == "ERROR" else "ok"
    return "  ".join([common.dollars(call["cost_usd"]).rjust(10), common.seconds(call["duration_s"]).rjust(8),
                      call["time"], f"{call['operation'] or '-'} {call['provider'] or '-'} {model}", status,
                      f"trace {call['trace_id']} span {call['span_id']}"])


def _write_csv(stream: IO[str], report: dict[str, Any], by: Sequence[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*by, "calls", "errors", "error_rate", "duration_p50_s", "duration_p95_s", "duration_p99_s",
                     "ttfc_p50_s", *(f"{kind}_tokens" for kind in _TOKEN_COLUMNS), "cost_usd", "unpriced_calls"])
    for item in report["groups"]:
        writer.writerow([
            *(_csv(item["key"][name]) for name in by), item["calls"], item["errors"], _csv(item["error_rate"]),
            *(_csv(item["duration_s"][p]) for p in ("p50", "p95", "p99")), _csv(item["ttfc_s"]["p50"]),
            *(item["tokens"][kind] for kind in _TOKEN_COLUMNS), _csv(item["cost_usd"]), item["unpriced_calls"],
        ])


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
