"""Helpers for the local-store and CLI tests: running apps under ``opentelemetry-instrument`` with a clean
environment, reading a store file directly (independently of ``genai_otel.localstore.query``), copying real spans.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, TraceFlags

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
GENAI_OTEL = Path(sys.executable).parent / "genai-otel"
WRITER_APP = Path(__file__).with_name("writer_app.py")
CHAT_APP = ROOT / "examples" / "chat_app.py"
NOTICE = "genai-otel: no OpenTelemetry exporter or endpoint is configured"


def require_registered_exporter() -> None:
    """Fail clearly when the installed metadata lacks our exporter entry point (an install predating it)."""
    from importlib.metadata import entry_points

    assert list(entry_points(group="opentelemetry_traces_exporter", name="genai_otel_local")), (
        "the genai_otel_local traces exporter is not registered: pyproject.toml needs\n"
        "[project.entry-points.opentelemetry_traces_exporter]\n"
        'genai_otel_local = "genai_otel.localstore:LocalStoreSpanExporter"\n'
        "and the package reinstalled (pip install -e .)")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any OTEL_* or local-store variable (nothing configured), plus ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OTEL_", "GENAI_OTEL_LOCAL_STORE", "OPENAI_", "ANTHROPIC_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_instrumented(args: Sequence[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``opentelemetry-instrument python ARGS`` with exactly ``env``."""
    require_registered_exporter()
    return subprocess.run([str(INSTRUMENT), sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def stored_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of the store, read with plain sqlite3, in id order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM calls ORDER BY id")]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(str(path))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


_ids = itertools.count(1)


def clone_span(span: ReadableSpan, shift_ns: int = 0) -> ReadableSpan:
    """A copy of a real span with a new span id unique across processes, its times moved by ``shift_ns``."""
    context = span.get_span_context()
    assert context is not None
    span_id = ((os.getpid() & 0xFFFFFF) << 36) | next(_ids)
    new_context = SpanContext(context.trace_id, span_id, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return ReadableSpan(
        name=span.name, context=new_context, parent=span.parent, resource=span.resource,
        attributes=dict(span.attributes or {}), events=span.events, links=span.links, kind=span.kind,
        status=span.status, start_time=(span.start_time or 0) + shift_ns, end_time=(span.end_time or 0) + shift_ns,
        instrumentation_scope=span.instrumentation_scope,
    )
