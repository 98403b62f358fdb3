"""``genai-otel report --html``: the file is self-contained, and headless Chromium (Debian's ``chromium``) draws its
four charts from the report's data without a console message, with no network (every request goes to a dead proxy).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from genai_otel.genai import semconv
from tests.cli.conftest import CALLS

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (`.ci/run` installs "
                                    "it: apt-get install chromium); the HTML report's render check needs it")
Rows = list[dict[str, Any]]


class _Dom(HTMLParser):
    """The body's attributes, each chart box's attributes and the bars drawn inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.charts: dict[str, dict[str, Any]] = {}
        self._chart: str | None = None
        self._depth = 0
        self._in_empty = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        if tag == "div" and (attributes.get("id") or "").startswith("chart-"):
            self._chart = str(attributes["id"])[len("chart-"):]
            self.charts[self._chart] = {"attributes": attributes, "bars": [], "empty": None}
            self._depth = 0
        elif self._chart is not None and tag == "div":
            self._depth += 1
        self._in_empty = self._chart is not None and tag == "text" and attributes.get("class") == "empty"
        if self._chart is not None and tag == "rect" and attributes.get("class") == "bar":
            self.charts[self._chart]["bars"].append(
                (attributes["data-category"], attributes["data-series"], float(attributes["data-value"] or "nan")))

    def handle_data(self, data: str) -> None:
        if self._in_empty and self._chart is not None:
            self.charts[self._chart]["empty"] = data
            self._in_empty = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._chart is not None:
            if self._depth == 0:
                self._chart = None
            else:
                self._depth -= 1


def render_in_chromium(page: Path, tmp_path: Path) -> tuple[_Dom, list[str]]:
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    dom = _Dom()
    dom.feed(result.stdout)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return dom, console


def _write_report(run_cli: Any, store: Path, page: Path) -> str:
    status, out, err = run_cli("report", "--store", str(store), "--html", str(page))
    assert status == 0, err
    return out  # type: ignore[no-any-return]


def _time_buckets(rows: Rows) -> tuple[int, int]:
    """(width in s, first bucket index): the smallest of the documented widths giving at most 60 bars."""
    first = min(row["start_time_ns"] for row in rows) // 10**9
    last = max(row["start_time_ns"] for row in rows) // 10**9
    for width in (1, 10, 60, 300, 900, 3600, 21600, 86400, 604800):
        if last // width - first // width + 1 <= 60:
            return width, first // width
    raise AssertionError("no width fits")


def _label(bucket_start: int, width: int) -> str:
    fmt = "%Y-%m-%d" if width >= 86400 else "%m-%d %H:%M" if width >= 60 else "%H:%M:%S"
    return time.strftime(fmt, time.gmtime(bucket_start))


def test_the_file_is_self_contained(run_cli: Any, filled_store: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert _write_report(run_cli, filled_store, page) == f"wrote {page} ({CALLS} calls)\n"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"\b(src|href)\s*=|@import|url\(|<link|<iframe|fetch\(|XMLHttpRequest", text)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}  # a namespace name
    data = json.loads(re.search(r'<script id="report-data" type="application/json">(.*?)</script>', text,
                                re.S).group(1))  # type: ignore[union-attr]
    assert data["chart_order"] == ["cost", "duration", "tokens", "errors"]
    assert data["total"]["calls"] == CALLS


@needs_chromium
def test_chromium_draws_every_chart_from_the_data(run_cli: Any, filled_store: Path, rows: Rows,
                                                  tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    _write_report(run_cli, filled_store, page)
    dom, console = render_in_chromium(page, tmp_path)
    assert console == []
    assert dom.body.get("data-charts-rendered") == "4"
    assert "data-script-error" not in dom.body
    assert set(dom.charts) == {"cost", "duration", "tokens", "errors"}
    for name, chart in dom.charts.items():
        assert chart["attributes"].get("data-rendered") == "true", name
        assert "data-error" not in chart["attributes"], name
        assert chart["attributes"]["data-bars"] == str(len(chart["bars"])), name
        assert chart["empty"] is None, name

    # durations: calls per semconv duration bucket
    bounds = semconv.DURATION_BUCKETS
    labels = [f"≤{b * 1000:g}ms" if b < 1 else f"≤{b:g}s" for b in bounds] + [f">{bounds[-1]:g}s"]
    expected: dict[str, float] = {}
    for row in rows:
        index = next((i for i, bound in enumerate(bounds) if row["duration_s"] <= bound), len(bounds))
        expected[labels[index]] = expected.get(labels[index], 0) + 1
    assert {category: value for category, _, value in dom.charts["duration"]["bars"]} == expected
    assert sum(value for _, _, value in dom.charts["duration"]["bars"]) == CALLS

    # tokens by type per model
    tokens: dict[tuple[str, str], float] = {}
    for row in rows:
        parts = {
            "input (not cached)": (row["input_tokens"] or 0) - (row["cache_read_tokens"] or 0)
            - (row["cache_creation_tokens"] or 0),
            "cache read": row["cache_read_tokens"] or 0, "cache creation": row["cache_creation_tokens"] or 0,
            "output (not reasoning)": (row["output_tokens"] or 0) - (row["reasoning_tokens"] or 0),
            "reasoning": row["reasoning_tokens"] or 0,
        }  # fmt: skip
        for kind, count in parts.items():
            if count:
                key = (row["request_model"], kind)
                tokens[key] = tokens.get(key, 0) + count
    assert {(category, series): value for category, series, value in dom.charts["tokens"]["bars"]} == tokens
    assert tokens[("gpt-4o-mini", "cache read")] == 4 and tokens[("gpt-4o-mini", "reasoning")] == 2

    # cost and error rate per time bucket
    width, origin = _time_buckets(rows)
    costs: dict[tuple[str, str], float] = {}
    buckets: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        label = _label((row["start_time_ns"] // 10**9 // width) * width, width)
        buckets.setdefault(label, []).append(row)
        if row["cost_usd"]:
            key = (label, row["request_model"])
            costs[key] = costs.get(key, 0.0) + row["cost_usd"]
    drawn_costs = {(category, series): value for category, series, value in dom.charts["cost"]["bars"]}
    assert drawn_costs == pytest.approx(costs, rel=1e-12)
    assert math.fsum(drawn_costs.values()) == pytest.approx(math.fsum(r["cost_usd"] or 0 for r in rows), rel=1e-12)
    rates = {label: 100 * sum(r["status"] == "ERROR" for r in members) / len(members)
             for label, members in buckets.items() if any(r["status"] == "ERROR" for r in members)}
    assert {category: value for category, _, value in dom.charts["errors"]["bars"]} == pytest.approx(rates)
    assert sum(rates.values()) > 0


@needs_chromium
def test_a_window_without_prices_or_errors_still_renders(run_cli: Any, store_copy: Path, tmp_path: Path) -> None:
    with sqlite3.connect(store_copy) as conn:
        conn.execute("UPDATE calls SET cost_usd = NULL")
        conn.execute("DELETE FROM calls WHERE status = 'ERROR'")
    page = tmp_path / "report.html"
    _write_report(run_cli, store_copy, page)
    dom, console = render_in_chromium(page, tmp_path)
    assert console == []
    assert dom.body.get("data-charts-rendered") == "4"
    assert [dom.charts[name]["attributes"]["data-bars"] for name in ("cost", "errors")] == ["0", "0"]
    assert [dom.charts[name]["empty"] for name in ("cost", "errors")] == ["no priced calls in this window",
                                                                          "no errors"]
    assert dom.charts["duration"]["empty"] is None
    assert sum(value for _, _, value in dom.charts["duration"]["bars"]) == CALLS - 1
