"""The store under stress: several writer processes at once, ``kill -9`` in the middle of a write, corrupt files,
retention. Writers export real spans (from real openai calls against the fake server) through the real exporter.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from genai_otel.localstore import LocalStoreSpanExporter
from genai_otel.localstore.store import Retention, parse_retention, read_retention
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.localstore._support import (
    CHAT_APP,
    INSTRUMENT,
    NOTICE,
    WRITER_APP,
    clean_env,
    clone_span,
    integrity,
    require_registered_exporter,
    run_instrumented,
    stored_rows,
)

MESSAGES = [{"role": "user", "content": "Say hi"}]


def _moved_aside(store: Path) -> list[Path]:
    """The moved-aside store files (not their -wal/-shm companions)."""
    return [path for path in store.parent.glob(f"{store.name}.corrupt-*") if not path.name.endswith(("-wal", "-shm"))]


def _real_spans(client: openai.OpenAI, telemetry: Any, count: int) -> list[Any]:
    for _ in range(count):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    spans = telemetry.genai_spans()
    assert len(spans) == count
    return spans  # type: ignore[no-any-return]


# --- several processes --------------------------------------------------------------------------------------------


def test_four_instrumented_apps_writing_at_once_lose_no_row(fake_llm: FakeLLMServer, store: Path) -> None:
    """Four apps under opentelemetry-instrument, nothing configured but the store path, one transaction per span
    (batches of one, 1 ms apart): every call of every process is stored exactly once."""
    env = clean_env(OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-fake",
                    GENAI_OTEL_LOCAL_STORE_PATH=str(store), OTEL_BSP_MAX_EXPORT_BATCH_SIZE="1",
                    OTEL_BSP_SCHEDULE_DELAY="1")
    require_registered_exporter()
    apps = [subprocess.Popen([str(INSTRUMENT), sys.executable, str(WRITER_APP), "calls", "30"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for app in apps:
        _, err = app.communicate(timeout=60)
        assert app.returncode == 0, err
        assert err.count(NOTICE) == 1
        assert "could not write" not in err
    rows = stored_rows(store)
    assert len(rows) == 120
    assert len({(row["trace_id"], row["span_id"]) for row in rows}) == 120
    assert {(row["span_name"], row["input_tokens"], row["output_tokens"]) for row in rows} == {
        ("chat gpt-4o-mini", 5, 5)}
    assert integrity(store) == "ok"


# --- kill -9 ------------------------------------------------------------------------------------------------------


def test_kill_9_in_the_middle_of_a_write_loses_nothing_committed(fake_llm: FakeLLMServer, client: openai.OpenAI,
                                                                telemetry: Any, store: Path) -> None:
    env = clean_env(OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-fake")
    size = 1500
    for attempt in range(2):
        writer = subprocess.Popen([sys.executable, str(WRITER_APP), "replay", str(store), "1000", str(size)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert writer.stdout is not None
        committed = len(stored_rows(store)) if store.exists() else 0
        begun = 0
        for line in writer.stdout:
            if line.startswith("committed"):
                assert line.split()[2] == "SUCCESS"
                committed += size
            elif line.startswith("begin"):
                begun += 1
                if begun == 3:  # the third batch is being written right now
                    time.sleep(0.005 * attempt)
                    os.kill(writer.pid, signal.SIGKILL)
                    break
        writer.wait(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        assert integrity(store) == "ok"
        stored = len(stored_rows(store))
        # every committed batch is there, and the batch being written is there completely or not at all
        assert stored in (committed, committed + size), (stored, committed)
        assert not list(store.parent.glob("*.corrupt-*"))
    before = len(stored_rows(store))
    spans = _real_spans(client, telemetry, 2)  # and the file is still a working store
    exporter = LocalStoreSpanExporter(store)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(stored_rows(store)) == before + 2


# --- corrupt files ------------------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_moved_aside(client: openai.OpenAI, telemetry: Any, store: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    store.parent.mkdir(parents=True)
    garbage = b"this is not an SQLite database\n" * 200
    store.write_bytes(garbage)
    spans = _real_spans(client, telemetry, 2)
    exporter = LocalStoreSpanExporter(store)
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert exporter.export(spans[:1]) is SpanExportResult.SUCCESS
        assert exporter.export(spans[1:]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    [moved] = _moved_aside(store)
    assert moved.read_bytes() == garbage
    [record] = [r for r in caplog.records if r.name == "genai_otel"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (f"genai-otel: the local store {store} was unreadable or corrupt (file is not a "
                                   f"database); moved it to {moved} and started a new one")
    assert [row["span_id"] for row in stored_rows(store)] == [format(s.get_span_context().span_id, "016x")
                                                               for s in spans]


def test_a_store_with_damaged_pages_is_moved_aside(client: openai.OpenAI, telemetry: Any, store: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    spans = _real_spans(client, telemetry, 1)
    exporter = LocalStoreSpanExporter(store)
    assert exporter.export([clone_span(spans[0]) for _ in range(400)]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    with sqlite3.connect(store) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert pages > 10
    with open(store, "r+b") as handle:  # overwrite pages 3..6 (table and index b-tree pages) with noise
        handle.seek(2 * page_size)
        handle.write(bytes((i * 7 + 13) % 256 for i in range(4 * page_size)))
    exporter = LocalStoreSpanExporter(store)
    with caplog.at_level(logging.ERROR, logger="genai_otel"):
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(_moved_aside(store)) == 1
    assert len([r for r in caplog.records if "was unreadable or corrupt" in r.getMessage()]) == 1
    assert len(stored_rows(store)) == 1
    assert integrity(store) == "ok"


def test_the_app_runs_unchanged_on_a_corrupt_store(fake_llm: FakeLLMServer, store: Path) -> None:
    store.parent.mkdir(parents=True)
    store.write_bytes(b"\x00garbage" * 1000)
    result = run_instrumented([str(CHAT_APP)], clean_env(
        OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-fake", GENAI_OTEL_LOCAL_STORE_PATH=str(store)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "plain: word0 word1 word2 word3 word4", "streamed: word0 word1 word2 word3 word4", "tool call: get_weather",
        "rate limited, as asked: 429", "async: word0 word1 word2 word3 word4",
    ]  # fmt: skip
    assert result.stderr.count("was unreadable or corrupt") == 1
    assert len(_moved_aside(store)) == 1
    assert len(stored_rows(store)) == 5


def test_another_programs_database_is_left_alone(client: openai.OpenAI, telemetry: Any, store: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    store.parent.mkdir(parents=True)
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    spans = _real_spans(client, telemetry, 1)
    exporter = LocalStoreSpanExporter(store)
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert exporter.export(spans) is SpanExportResult.FAILURE
        assert exporter.export(spans) is SpanExportResult.FAILURE
    exporter.shutdown()
    assert [r.getMessage() for r in caplog.records] == [
        f"genai-otel: {store} is a database of something else, not a genai-otel store; not writing to it. Set "
        "GENAI_OTEL_LOCAL_STORE_PATH to another file."]
    assert not list(store.parent.glob("*.corrupt-*"))
    with sqlite3.connect(store) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["notes"]


# --- retention ----------------------------------------------------------------------------------------------------


def test_the_row_limit_keeps_the_newest_rows(client: openai.OpenAI, telemetry: Any, store: Path) -> None:
    spans = _real_spans(client, telemetry, 1)
    exporter = LocalStoreSpanExporter(store, Retention(max_age_s=None, max_rows=50))
    for _ in range(3):
        assert exporter.export([clone_span(spans[0]) for _ in range(40)]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert [row["id"] for row in stored_rows(store)] == list(range(71, 121))


def test_the_age_limit_drops_old_rows(client: openai.OpenAI, telemetry: Any, store: Path) -> None:
    [span] = _real_spans(client, telemetry, 1)
    day_ns = 86400 * 10**9
    old = [clone_span(span, shift_ns=-3 * day_ns) for _ in range(5)]
    recent = [clone_span(span, shift_ns=-day_ns // 2) for _ in range(3)]
    exporter = LocalStoreSpanExporter(store, Retention(max_age_s=None, max_rows=None))
    assert exporter.export(old + recent) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(stored_rows(store)) == 8
    exporter = LocalStoreSpanExporter(store, parse_retention("1d"))
    assert exporter.export([clone_span(span)]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    kept = stored_rows(store)
    assert [row["id"] for row in kept] == [6, 7, 8, 9]


def test_the_file_stays_bounded(client: openai.OpenAI, telemetry: Any, tmp_path: Path, store: Path) -> None:
    """8,000 rows written with a 200-row limit: the database file stays the size of a few hundred rows and the WAL
    is truncated back to 4 MiB at each checkpoint."""
    [span] = _real_spans(client, telemetry, 1)
    reference = tmp_path / "reference.sqlite3"
    exporter = LocalStoreSpanExporter(reference, Retention(max_age_s=None, max_rows=None))
    assert exporter.export([clone_span(span) for _ in range(400)]) is SpanExportResult.SUCCESS
    exporter.shutdown()  # the last connection closing checkpoints everything into the file
    four_hundred_rows = reference.stat().st_size
    exporter = LocalStoreSpanExporter(store, Retention(max_age_s=None, max_rows=200))
    database, wal = [], []
    for _ in range(40):
        assert exporter.export([clone_span(span) for _ in range(200)]) is SpanExportResult.SUCCESS
        database.append(store.stat().st_size)
        wal.append(Path(f"{store}-wal").stat().st_size)
    exporter.shutdown()
    assert len(stored_rows(store)) == 200
    assert max(wal) <= 4 * 1024 * 1024 + 256 * 1024, wal
    assert max(database) <= 1.5 * four_hundred_rows, (database, four_hundred_rows)


@pytest.mark.parametrize(("text", "expected"), [
    ("30d,100000", Retention(30 * 86400, 100_000)), ("7d", Retention(7 * 86400, None)), ("12h", Retention(43200, None)),
    ("500", Retention(None, 500)), ("500rows", Retention(None, 500)), ("2w, 10", Retention(14 * 86400, 10)),
    ("none", Retention(None, None)), ("1.5d", Retention(1.5 * 86400, None)),
])  # fmt: skip
def test_retention_values(text: str, expected: Retention) -> None:
    assert parse_retention(text) == expected


@pytest.mark.parametrize("text", ["0", "0d", "30x", "d", "7d,7d", "10,20", "-5", "30 days"])
def test_bad_retention_values(text: str) -> None:
    with pytest.raises(ValueError):
        parse_retention(text)


def test_a_bad_retention_variable_warns_once_and_uses_the_default(monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GENAI_OTEL_LOCAL_STORE_RETENTION", "forever-ish")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert read_retention() == Retention(30 * 86400, 100_000)
        assert read_retention() == Retention(30 * 86400, 100_000)
    assert [r.getMessage() for r in caplog.records] == [
        "genai-otel: ignoring GENAI_OTEL_LOCAL_STORE_RETENTION='forever-ish' (expected limits like 30d, 100000 or "
        "30d,100000, or none); using the default '30d,100000'"]
    monkeypatch.setenv("GENAI_OTEL_LOCAL_STORE_RETENTION", "7d,20")
    assert read_retention() == Retention(7 * 86400, 20)


# --- fork ---------------------------------------------------------------------------------------------------------


def _export_in_child(exporter: LocalStoreSpanExporter, spans: list[Any], results: Any) -> None:
    inherited = exporter._store._conn
    results.put((exporter.export(spans).name, exporter._store._conn is not inherited))


def test_a_forked_child_opens_its_own_connection(client: openai.OpenAI, telemetry: Any, store: Path) -> None:
    """As under gunicorn with a preloaded app: the exporter was used before fork(); parent and child keep writing."""
    import multiprocessing

    first, second, third = _real_spans(client, telemetry, 3)
    exporter = LocalStoreSpanExporter(store)
    assert exporter.export([first]) is SpanExportResult.SUCCESS  # the parent's connection is open now
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=_export_in_child, args=(exporter, [second], results))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert results.get(timeout=5) == ("SUCCESS", True)  # the child wrote through a connection of its own
    assert exporter.export([third]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert [row["span_id"] for row in stored_rows(store)] == [
        format(span.get_span_context().span_id, "016x") for span in (first, second, third)]
    assert integrity(store) == "ok"
