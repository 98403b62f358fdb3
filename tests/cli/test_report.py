"""``genai-otel report`` against a store filled by real instrumented calls (``fill_app.py``). Token counts are the
fake server's arithmetic; durations and costs are recomputed here from the stored rows with plain Python.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from genai_otel.cli import _common as common
from tests.cli.conftest import CALLS

Rows = list[dict[str, Any]]


def exact_quantile(values: list[float], q: int) -> float:
    """The q-th percentile, linear between the nearest ranks (statistics' "inclusive" method)."""
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def quantile(values: list[float], q: int) -> Any:
    """:func:`exact_quantile` to the last bit or two (the two interpolation formulas round differently)."""
    return pytest.approx(exact_quantile(values, q), rel=1e-12, abs=0)


def expected_figures(rows: Rows) -> dict[str, Any]:
    durations = [row["duration_s"] for row in rows]
    ttfc = [row["ttfc_s"] for row in rows if row["ttfc_s"] is not None]
    costs = [row["cost_usd"] for row in rows if row["cost_usd"] is not None]
    errors = sum(row["status"] == "ERROR" for row in rows)
    return {
        "calls": len(rows), "errors": errors, "error_rate": errors / len(rows),
        "duration_s": {f"p{q}": quantile(durations, q) for q in (50, 95, 99)},
        "ttfc_s": {"p50": quantile(ttfc, 50) if ttfc else None},
        "tokens": {kind: sum(row[f"{kind}_tokens"] or 0 for row in rows)
                   for kind in ("input", "output", "cache_read", "cache_creation", "reasoning")},
        "cost_usd": math.fsum(costs) if costs else None,
        "unpriced_calls": sum(row["cost_usd"] is None and row["input_tokens"] is not None for row in rows),
    }  # fmt: skip


def report_json(run_cli: Any, store: Path, *args: str) -> dict[str, Any]:
    status, out, err = run_cli("report", "--store", str(store), "--json", *args)
    assert status == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def select(rows: Rows, **where: Any) -> Rows:
    return [row for row in rows if all(row[key] == value for key, value in where.items())]


def test_per_provider_and_model(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    report = report_json(run_cli, filled_store)
    assert report["by"] == ["provider", "model"]
    assert report["window"] == {"calls": CALLS, "first": common.iso(rows[0]["start_time_ns"]),
                                "last": common.iso(max(row["start_time_ns"] for row in rows))}
    keys = [(group["key"]["provider"], group["key"]["model"]) for group in report["groups"]]
    # most expensive group first, then by calls
    assert keys == [("openai", "gpt-4.1"), ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-4o-mini"),
                    ("openai", "text-embedding-3-small"), ("openai", "my-finetune-x")]
    for group in report["groups"]:
        members = select(rows, provider=group["key"]["provider"], request_model=group["key"]["model"])
        assert {k: v for k, v in group.items() if k != "key"} == expected_figures(members)
    mini = report["groups"][2]
    assert (mini["calls"], mini["errors"], mini["error_rate"]) == (7, 1, 1 / 7)
    assert mini["tokens"] == {"input": 3 * 5 + 2 * 5 + 9, "output": 3 * 5 + 2 * 3 + 7, "cache_read": 4,
                              "cache_creation": 0, "reasoning": 2}
    assert report["groups"][4]["cost_usd"] is None and report["groups"][4]["unpriced_calls"] == 2
    assert report["total"] == expected_figures(rows)
    assert report["total"]["tokens"]["input"] == 3 * 5 + 2 * 5 + 5 + 9 + 2 * 5 + 5 + 2


def test_most_expensive_and_slowest_calls(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    report = report_json(run_cli, filled_store, "--top", "3")
    priced = sorted((row for row in rows if row["cost_usd"] is not None), key=lambda r: -r["cost_usd"])
    assert [(c["trace_id"], c["span_id"], c["cost_usd"]) for c in report["most_expensive"]] == [
        (r["trace_id"], r["span_id"], r["cost_usd"]) for r in priced[:3]]
    slowest = sorted(rows, key=lambda r: -r["duration_s"])[:3]
    assert [(c["trace_id"], c["duration_s"]) for c in report["slowest"]] == [
        (r["trace_id"], r["duration_s"]) for r in slowest]
    assert report["slowest"][0]["request_model"] == "gpt-4.1"  # the call the server held back 300 ms
    assert report["slowest"][0]["duration_s"] >= 0.3
    assert report_json(run_cli, filled_store, "--top", "0")["slowest"] == []


@pytest.mark.parametrize(("by", "key_of"), [
    ("operation", lambda row: (row["operation"],)),
    ("day", lambda row: (time.strftime("%Y-%m-%d", time.gmtime(row["start_time_ns"] // 10**9)),)),
    ("hour", lambda row: (time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(row["start_time_ns"] // 10**9)),)),
    ("app.team", lambda row: (json.loads(row["attributes"]).get("app.team"),)),
    ("provider,operation", lambda row: (row["provider"], row["operation"])),
    ("response_model", lambda row: (row["response_model"],)),
    ("error_type", lambda row: (row["error_type"],)),
    ("gen_ai.response.finish_reasons", lambda row: (json.loads(row["finish_reasons"] or "null"),)),
])  # fmt: skip
def test_by(run_cli: Any, filled_store: Path, rows: Rows, by: str, key_of: Any) -> None:
    report = report_json(run_cli, filled_store, "--by", by)
    names = by.split(",")
    expected: dict[Any, Rows] = {}
    for row in rows:
        expected.setdefault(json.dumps(key_of(row)), []).append(row)
    got = {json.dumps([group["key"][name] for name in names]): group for group in report["groups"]}
    assert set(got) == {json.dumps(list(json.loads(key))) for key in expected}
    for key, members in expected.items():
        group = got[json.dumps(list(json.loads(key)))]
        assert {k: v for k, v in group.items() if k != "key"} == expected_figures(members)


def test_by_team_counts(run_cli: Any, filled_store: Path) -> None:
    report = report_json(run_cli, filled_store, "--by", "app.team")
    assert {group["key"]["app.team"]: (group["calls"], group["errors"]) for group in report["groups"]} == {
        "search": (6, 0), "ads": (5, 1), None: (1, 0)}
    by_day = report_json(run_cli, filled_store, "--by", "day")
    assert [group["key"]["day"] for group in by_day["groups"]] == sorted(g["key"]["day"] for g in by_day["groups"])


def test_text_output(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    status, out, err = run_cli("report", "--store", str(filled_store), "--top", "2")
    assert status == 0 and err == ""
    lines = out.splitlines()
    first = common.iso(rows[0]["start_time_ns"])
    last = common.iso(max(row["start_time_ns"] for row in rows))
    assert lines[:3] == [f"genai-otel report: {CALLS} calls, from {first} to {last}", f"store: {filled_store}", ""]
    assert re.split(r"\s{2,}", lines[3]) == ["provider", "model", "calls", "errors", "error%", "p50", "p95", "p99",
                                             "ttfc p50", "input", "output", "cached", "reasoning", "cost"]
    table = [re.split(r"\s{2,}", line.strip()) for line in lines[4:10]]
    mini = select(rows, request_model="gpt-4o-mini")
    durations = [row["duration_s"] for row in mini]
    ttfc = [row["ttfc_s"] for row in mini if row["ttfc_s"] is not None]
    cost = math.fsum(row["cost_usd"] for row in mini if row["cost_usd"] is not None)
    assert table[2] == ["openai", "gpt-4o-mini", "7", "1", "14.3%",
                        *(common.seconds(exact_quantile(durations, q)) for q in (50, 95, 99)),
                        common.seconds(exact_quantile(ttfc, 50)), "34", "28", "4", "2", common.dollars(cost)]
    finetune = table[4]
    assert finetune[:5] == ["openai", "my-finetune-x", "2", "0", "0.0%"] and finetune[-5:] == [
        "10", "10", "0", "0", "-*"]
    assert table[5][0] == "total" and table[5][1:4] == ["12", "1", "8.3%"]
    assert lines[10:13] == ["", "* 2 calls used tokens with no known price; the cost leaves them out (`genai-otel "
                                "doctor` lists the models).", ""]
    assert lines[13] == "Most expensive calls:"
    assert lines[16:18] == ["", "Slowest calls:"]
    slowest = max(rows, key=lambda r: r["duration_s"])
    assert lines[18].split()[-4:] == ["trace", slowest["trace_id"], "span", slowest["span_id"]]
    assert len(lines) == 20


def test_csv(run_cli: Any, filled_store: Path) -> None:
    status, out, _ = run_cli("report", "--store", str(filled_store), "--csv", "--by", "operation")
    assert status == 0
    table = list(csv.DictReader(io.StringIO(out)))
    report = report_json(run_cli, filled_store, "--by", "operation")
    assert list(table[0]) == ["operation", "calls", "errors", "error_rate", "duration_p50_s", "duration_p95_s",
                              "duration_p99_s", "ttfc_p50_s", "input_tokens", "output_tokens", "cache_read_tokens",
                              "cache_creation_tokens", "reasoning_tokens", "cost_usd", "unpriced_calls"]
    assert len(table) == len(report["groups"]) == 2
    for line, group in zip(table, report["groups"], strict=True):
        assert line["operation"] == group["key"]["operation"]
        assert int(line["calls"]) == group["calls"] and int(line["errors"]) == group["errors"]
        assert float(line["duration_p95_s"]) == group["duration_s"]["p95"]
        assert float(line["cost_usd"]) == group["cost_usd"]
        assert int(line["input_tokens"]) == group["tokens"]["input"]
    embeddings = table[1]
    assert (embeddings["operation"], embeddings["ttfc_p50_s"], embeddings["output_tokens"]) == ("embeddings", "", "0")


def test_since(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    assert report_json(run_cli, filled_store, "--since", "1h")["window"]["calls"] == CALLS
    assert report_json(run_cli, filled_store, "--since", "2000-01-01")["window"]["calls"] == CALLS
    middle = sorted(row["start_time_ns"] for row in rows)[6]
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(middle // 10**9)) + f".{middle % 10**9:09d}"[:7] + "Z"
    cutoff = common.parse_since(since).cutoff_ns
    assert cutoff is not None
    report = report_json(run_cli, filled_store, "--since", since)
    assert report["window"]["calls"] == sum(row["start_time_ns"] >= cutoff for row in rows)
    assert report["since_time"] == common.iso(cutoff)


def test_an_empty_window(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    status, out, err = run_cli("report", "--store", str(filled_store), "--since", "2999-01-01")
    assert (status, out) == (3, "")
    newest = max(row["start_time_ns"] for row in rows)
    assert err == (f"genai-otel: no calls since 2999-01-01 (2999-01-01 00:00:00.000Z) in {filled_store}: it holds "
                   f"12 calls, the newest started {common.when(newest)}\n")


def test_an_empty_store(run_cli: Any, store_copy: Path) -> None:
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DELETE FROM calls")
    status, _, err = run_cli("report", "--store", str(store_copy))
    assert status == 3
    assert err == f"genai-otel: no calls in {store_copy}: it is empty\n"


def test_a_missing_store(run_cli: Any, tmp_path: Path) -> None:
    status, out, err = run_cli("report", "--store", str(tmp_path / "nothing.sqlite3"))
    assert (status, out) == (1, "")
    assert err.startswith(f"genai-otel: no local store at {tmp_path / 'nothing.sqlite3'}: nothing has been recorded")


def test_a_corrupt_store(run_cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    status, _, err = run_cli("report", "--store", str(bad))
    assert status == 1
    assert err == (f"genai-otel: {bad} is not a readable genai-otel store (file is not a database). An instrumented "
                   "app moves a corrupt store aside by itself the next time it writes; to start over now, delete "
                   "it.\n")
    assert bad.read_bytes() == b"garbage" * 500  # readers never touch the file


def test_the_store_variable(run_cli: Any, filled_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_OTEL_LOCAL_STORE_PATH", str(filled_store))
    status, out, _ = run_cli("report", "--json")
    assert status == 0 and json.loads(out)["store"] == str(filled_store)


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "yesterday"], "argument --since: expected a duration like 24h"),
    (["--since", "0h"], "argument --since: not a positive duration: '0h'"),
    (["--by", "provider,,model"], "argument --by: expected comma-separated keys"),
    (["--by", "model,model"], "argument --by: a key is repeated in 'model,model'"),
    (["--top", "-1"], "argument --top: must not be negative: '-1'"),
    (["--json", "--csv"], "argument --csv: not allowed with argument --json"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
])  # fmt: skip
def test_bad_arguments(run_cli: Any, filled_store: Path, args: list[str], message: str) -> None:
    status, out, err = run_cli("report", "--store", str(filled_store), *args)
    assert (status, out) == (2, "")
    assert message in err
