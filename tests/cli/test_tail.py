"""``genai-otel tail``: the backlog, following calls as an instrumented exporter writes them, the limits, errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import openai
from opentelemetry.sdk.trace.export import SpanExportResult

from genai_otel.cli import _common as common
from genai_otel.localstore import LocalStoreSpanExporter
from tests.localstore._support import GENAI_OTEL

Rows = list[dict[str, Any]]


def test_the_last_calls(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    status, out, err = run_cli("tail", "--store", str(filled_store), "--last", "3", "--count", "3")
    assert status == 0
    assert err == f"genai-otel: following {filled_store} (Ctrl-C to stop)\n"
    lines = out.splitlines()
    assert [line.split()[-3] for line in lines] == [row["trace_id"] for row in rows[-3:]]
    embeddings = rows[-1]
    assert lines[-1] == "  ".join([
        common.when(embeddings["start_time_ns"]), "embeddings", "openai", "text-embedding-3-small",
        common.seconds(embeddings["duration_s"]), "in 2 out -", common.dollars(embeddings["cost_usd"]), "ok",
        f"trace {embeddings['trace_id']} span {embeddings['span_id']}"])


def test_error_and_stream_lines(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    status, out, _ = run_cli("tail", "--store", str(filled_store), "--last", "12", "--count", "12")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 12
    failed = next(i for i, row in enumerate(rows) if row["status"] == "ERROR")
    assert "  openai.InternalServerError  trace " in lines[failed]
    streamed = next(i for i, row in enumerate(rows) if row["stream"] == 1)
    assert f"  ttfc {common.seconds(rows[streamed]['ttfc_s'])}  in 5 out 3  " in lines[streamed]
    cached = next(i for i, row in enumerate(rows) if row["cache_read_tokens"])
    assert "  in 9 out 7 cached 4 reasoning 2  " in lines[cached]


def test_json_lines(run_cli: Any, filled_store: Path, rows: Rows) -> None:
    status, out, _ = run_cli("tail", "--store", str(filled_store), "--last", "2", "--json", "--timeout", "0.2")
    assert status == 0
    calls = [json.loads(line) for line in out.splitlines()]
    for call, row in zip(calls, rows[-2:], strict=True):
        assert {key: call[key] for key in row if key not in ("finish_reasons", "attributes", "stream")} == {
            key: value for key, value in row.items() if key not in ("finish_reasons", "attributes", "stream")}
        assert call["attributes"] == json.loads(row["attributes"])


def test_following_new_calls(store_copy: Path, rows: Rows, client: openai.OpenAI, telemetry: Any) -> None:
    follower = subprocess.Popen([str(GENAI_OTEL), "tail", "--store", str(store_copy), "--last", "0", "--count", "3",
                                 "--json", "--interval", "0.05", "--timeout", "30"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stderr is not None
        assert follower.stderr.readline() == f"genai-otel: following {store_copy} (Ctrl-C to stop)\n"
        for model in ("gpt-4o-mini", "gpt-4.1", "gpt-4o"):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Say hi"}])
        spans = telemetry.genai_spans()
        exporter = LocalStoreSpanExporter(store_copy)  # as an instrumented app's exporter would, one batch each
        for span in spans:
            assert exporter.export([span]) is SpanExportResult.SUCCESS
        exporter.shutdown()
        out, _ = follower.communicate(timeout=30)
    finally:
        follower.kill()
    assert follower.returncode == 0
    followed = [json.loads(line) for line in out.splitlines()]
    assert [(call["id"], call["span_id"], call["request_model"]) for call in followed] == [
        (len(rows) + i + 1, format(span.get_span_context().span_id, "016x"), model)
        for i, (span, model) in enumerate(zip(spans, ("gpt-4o-mini", "gpt-4.1", "gpt-4o"), strict=True))]


def test_timeout_with_nothing_new(run_cli: Any, filled_store: Path) -> None:
    status, out, _ = run_cli("tail", "--store", str(filled_store), "--last", "0", "--timeout", "0.2")
    assert (status, out) == (0, "")


def test_a_store_that_never_appears(run_cli: Any, tmp_path: Path) -> None:
    missing = tmp_path / "later.sqlite3"
    status, out, err = run_cli("tail", "--store", str(missing), "--timeout", "0.3", "--interval", "0.1")
    assert (status, out) == (1, "")
    assert err == (f"genai-otel: waiting for {missing} to be created\n"
                   f"genai-otel: no store appeared at {missing} within 0.3s\n")


def test_a_corrupt_store(run_cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    status, _, err = run_cli("tail", "--store", str(bad), "--timeout", "5")
    assert status == 1
    assert err.startswith(f"genai-otel: {bad} is not a readable genai-otel store (file is not a database).")


def test_bad_arguments(run_cli: Any, filled_store: Path) -> None:
    for args, message in ((["--count", "0"], "argument --count: must be at least 1"),
                          (["--timeout", "-1"], "argument --timeout: must be more than 0: '-1'"),
                          (["--last", "x"], "argument --last: not a whole number: 'x'"),
                          (["--interval", "soon"], "argument --interval: not a number of seconds: 'soon'")):
        status, out, err = run_cli("tail", "--store", str(filled_store), *args)
        assert (status, out) == (2, ""), args
        assert message in err
