"""``genai-otel report --html``: one self-contained HTML file, charts drawn by an inline script (no network).

Charts, all computed here from the stored calls: cost over time by model, the duration distribution (the GenAI
conventions' duration buckets), tokens by type per model, and the error rate over time. Time buckets are 1 s to 1
week wide, chosen so a chart has at most 60 bars; labels are UTC.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Sequence
from typing import Any, Final

from genai_otel.cli import _common as common
from genai_otel.cli._html_assets import SCRIPT, STYLE
from genai_otel.genai import semconv
from genai_otel.localstore.query import Call
from genai_otel.localstore.stats import bucket_width

__all__ = ["CHART_ORDER", "chart_data", "render"]

CHART_ORDER: Final = ("cost", "duration", "tokens", "errors")
TOKEN_TYPES: Final = ("input (not cached)", "cache read", "cache creation", "output (not reasoning)", "reasoning")


def _bucket_label(start_s: int, width: int) -> str:
    if width >= 86400:
        return time.strftime("%Y-%m-%d", time.gmtime(start_s))
    if width >= 60:
        return time.strftime("%m-%d %H:%M", time.gmtime(start_s))
    return time.strftime("%H:%M:%S", time.gmtime(start_s))


def _time_buckets(calls: Sequence[Call]) -> tuple[list[str], list[list[Call]]]:
    first = min(call.start_time_ns for call in calls)
    last = max(call.start_time_ns for call in calls)
    width = bucket_width(first, last)
    origin = first // 1_000_000_000 // width
    count = last // 1_000_000_000 // width - origin + 1
    buckets: list[list[Call]] = [[] for _ in range(count)]
    for call in calls:
        buckets[call.start_time_ns // 1_000_000_000 // width - origin].append(call)
    labels = [_bucket_label((origin + i) * width, width) for i in range(count)]
    return labels, buckets


def _label_seconds(bound: float) -> str:
    return f"{bound * 1000:g}ms" if bound < 1 else f"{bound:g}s"


def _duration_histogram(calls: Sequence[Call]) -> tuple[list[str], list[int]]:
    bounds = semconv.DURATION_BUCKETS
    counts = [0] * (len(bounds) + 1)
    for call in calls:
        index = next((i for i, bound in enumerate(bounds) if call.duration_s <= bound), len(bounds))
        counts[index] += 1
    labels = [f"≤{_label_seconds(bound)}" for bound in bounds] + [f">{_label_seconds(bounds[-1])}"]
    used = [i for i, n in enumerate(counts) if n]
    low, high = (used[0], used[-1]) if used else (0, 0)
    return labels[low:high + 1], counts[low:high + 1]


def _token_parts(call: Call) -> list[int]:
    cache_read = call.cache_read_tokens or 0
    cache_creation = call.cache_creation_tokens or 0
    reasoning = call.reasoning_tokens or 0
    return [max(0, (call.input_tokens or 0) - cache_read - cache_creation), cache_read, cache_creation,
            max(0, (call.output_tokens or 0) - reasoning), reasoning]


def chart_data(calls: Sequence[Call]) -> dict[str, dict[str, Any]]:
    """The four charts as categories and stacked series (what the inline script draws)."""
    labels, buckets = _time_buckets(calls)
    models = sorted({call.model or "-" for call in calls})
    cost_series = []
    for model in models:
        values = [sum(c.cost_usd or 0.0 for c in bucket if (c.model or "-") == model) for bucket in buckets]
        if any(values):
            cost_series.append({"name": model, "values": values})
    duration_labels, duration_counts = _duration_histogram(calls)
    per_model = {model: [0] * len(TOKEN_TYPES) for model in models}
    for call in calls:
        totals = per_model[call.model or "-"]
        for i, tokens in enumerate(_token_parts(call)):
            totals[i] += tokens
    token_series = [{"name": kind, "values": [per_model[model][i] for model in models]}
                    for i, kind in enumerate(TOKEN_TYPES) if any(per_model[model][i] for model in models)]
    rates = [100 * sum(c.failed for c in bucket) / len(bucket) if bucket else None for bucket in buckets]
    return {
        "cost": {"title": "Cost over time by model (USD)", "unit": "usd", "categories": labels,
                 "series": cost_series, "empty": "no priced calls in this window"},
        "duration": {"title": "Duration distribution (calls per duration bucket)", "unit": "count",
                     "categories": duration_labels, "series": [{"name": "calls", "values": duration_counts}]},
        "tokens": {"title": "Tokens by type, per model", "unit": "count", "categories": models,
                   "series": token_series, "empty": "no token usage reported"},
        "errors": {"title": "Error rate over time (% of calls)", "unit": "percent", "max": 100,
                   "categories": labels, "series": [{"name": "error rate", "values": rates}],
                   "calls": [len(bucket) for bucket in buckets], "empty": "no errors"},
    }  # fmt: skip


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def _summary_row(keys: Sequence[str], item: dict[str, Any]) -> str:
    cells = [common.count(item["calls"]), common.count(item["errors"]), f"{item['error_rate'] * 100:.1f}%",
             *(common.seconds(item["duration_s"][p]) for p in ("p50", "p95", "p99")),
             common.seconds(item["ttfc_s"]["p50"]),
             *(common.count(item["tokens"][k]) for k in ("input", "output", "cache_read", "reasoning")),
             common.dollars(item["cost_usd"]) + ("*" if item["unpriced_calls"] else "")]
    return ("<tr>" + "".join(f'<td class="key">{key}</td>' for key in keys)
            + "".join(f"<td>{_e(cell)}</td>" for cell in cells) + "</tr>")


def _summary_table(report: dict[str, Any]) -> str:
    by = report["by"]
    head = "".join(f'<th class="key">{_e(name)}</th>' for name in by) + "".join(
        f"<th>{name}</th>" for name in ("calls", "errors", "error %", "p50", "p95", "p99", "ttfc p50", "input",
                                        "output", "cached", "reasoning", "cost"))
    rows = [_summary_row([_e(_cell(item["key"][name])) for name in by], item) for item in report["groups"]]
    if len(report["groups"]) > 1:
        rows.append(_summary_row(["<b>total</b>", *[""] * (len(by) - 1)], report["total"]))
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _cell(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else ("-" if value is None else str(value))


def _calls_table(calls: Sequence[dict[str, Any]]) -> str:
    if not calls:
        return '<p class="note">none</p>'
    head = "".join(f'<th class="{"key" if i in (0, 1, 2, 3, 7, 8) else ""}">{name}</th>' for i, name in enumerate(
        ("time (UTC)", "operation", "provider", "model", "duration", "tokens in/out", "cost", "status",
         "trace id / span id")))
    rows = []
    for call in calls:
        model = call["request_model"] or call["response_model"]
        if call["response_model"] and call["response_model"] != model:
            model = f"{model} -> {call['response_model']}"
        cells = [f'<td class="key">{_e(call["time"])}</td>', f'<td class="key">{_e(call["operation"])}</td>',
                 f'<td class="key">{_e(call["provider"])}</td>', f'<td class="key">{_e(model)}</td>',
                 f"<td>{_e(common.seconds(call['duration_s']))}</td>",
                 f"<td>{_e(common.count(call['input_tokens']))} / {_e(common.count(call['output_tokens']))}</td>",
                 f"<td>{_e(common.dollars(call['cost_usd']))}</td>",
                 f'<td class="key">{_e(call["error_type"] or "error" if call["status"] == "ERROR" else "ok")}</td>',
                 f'<td class="ids">{_e(call["trace_id"])}<br>{_e(call["span_id"])}</td>']
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def render(report: dict[str, Any], calls: Sequence[Call]) -> str:
    """The whole page: the report data (JSON, as ``--json`` prints it, plus the charts) and the inline script."""
    charts = chart_data(calls)
    data = {**report, "charts": charts, "chart_order": list(CHART_ORDER)}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    window = report["window"]
    boxes = "".join(f'<div class="chart" id="chart-{name}"><h3>{_e(charts[name]["title"])}</h3></div>'
                    for name in CHART_ORDER)
    unpriced = report["total"]["unpriced_calls"]
    note = (f'<p class="note">* {unpriced:,} calls used tokens with no known price; costs leave them out '
            "(<code>genai-otel doctor</code> lists the models).</p>" if unpriced else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>genai-otel report</title>
<style>{STYLE}</style>
</head>
<body>
<h1>genai-otel report</h1>
<p class="meta">{window['calls']:,} calls from {_e(window['first'])} to {_e(window['last'])}
 · since {_e(report['since'])} · store {_e(report['store'])}</p>
<div class="charts">{boxes}</div>
<h2>By {_e(', '.join(report['by']))}</h2>
{_summary_table(report)}
{note}
<h2>Most expensive calls</h2>
{_calls_table(report['most_expensive'])}
<h2>Slowest calls</h2>
{_calls_table(report['slowest'])}
<script id="report-data" type="application/json">{payload}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
