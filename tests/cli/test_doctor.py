"""``genai-otel doctor``: SDKs, the exporters and endpoints this environment would use, the store, unpriced models."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from genai_otel.cli import _common as common
from genai_otel.instrumentation.anthropic import package as anthropic_package
from genai_otel.instrumentation.openai import package as openai_package
from genai_otel.testing.otlp_receiver import OTLPReceiver
from genai_otel.version import __version__

Rows = list[dict[str, Any]]
OPENAI_RANGE = ", ".join(openai_package._instruments)  # "openai >= ..., < ..."
ANTHROPIC_RANGE = ", ".join(anthropic_package._instruments)


@pytest.fixture
def nothing_configured(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("OTEL_", "GENAI_OTEL_LOCAL_STORE")):
            monkeypatch.delenv(name)
    return monkeypatch


def doctor_json(run_cli: Any, store: Path, *args: str, status: int = 0) -> dict[str, Any]:
    code, out, err = run_cli("doctor", "--json", "--store", str(store), *args)
    assert code == status, err
    return json.loads(out)  # type: ignore[no-any-return]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nothing_configured(run_cli: Any, filled_store: Path, rows: Rows, nothing_configured: Any) -> None:
    findings = doctor_json(run_cli, filled_store)
    assert findings["genai_otel"] == __version__
    assert findings["sdks"] == [
        {"instrumentor": "genai_otel_anthropic", "package": "anthropic", "version": anthropic.__version__,
         "supported": ANTHROPIC_RANGE, "status": "instrumented", "problem": False},
        {"instrumentor": "genai_otel_openai", "package": "openai", "version": openai.__version__,
         "supported": OPENAI_RANGE, "status": "instrumented", "problem": False},
    ]  # fmt: skip
    assert findings["exporters"] == {"local_default": True, "nothing_configured": True, "signals": {
        "traces": {"variable": "OTEL_TRACES_EXPORTER", "value": "genai_otel_local", "from": "genai-otel default",
                   "exporters": [{"name": "genai_otel_local", "problem": False, "detail": "the local store"}]},
        "metrics": {"variable": "OTEL_METRICS_EXPORTER", "value": "none", "from": "genai-otel default",
                    "exporters": []},
        "logs": {"variable": "OTEL_LOGS_EXPORTER", "value": "none", "from": "genai-otel default", "exporters": []},
    }}  # fmt: skip
    size = filled_store.stat().st_size + (Path(f"{filled_store}-wal").stat().st_size
                                          if Path(f"{filled_store}-wal").exists() else 0)
    starts = [row["start_time_ns"] for row in rows]
    assert findings["store"] == {
        "path": str(filled_store), "in_effect": True, "retention": "30d max age, 100000 rows max", "exists": True,
        "problem": False, "size_bytes": size, "calls": 12, "integrity": "ok",
        "oldest": common.iso(min(starts)), "newest": common.iso(max(starts)),
    }  # fmt: skip
    assert findings["models_without_price"] == [{"provider": "openai", "model": "my-finetune-x", "calls": 2}]
    assert findings["needs_attention"] is False


def test_text(run_cli: Any, filled_store: Path, nothing_configured: Any) -> None:
    nothing_configured.setenv("GENAI_OTEL_LOCAL_STORE_RETENTION", "7d")
    status, out, _ = run_cli("doctor", "--store", str(filled_store))
    assert status == 0
    lines = out.splitlines()
    assert lines[2:5] == ["SDKs:",
                          f"  anthropic {anthropic.__version__}: instrumented (supported: {ANTHROPIC_RANGE})",
                          f"  openai {openai.__version__}: instrumented (supported: {OPENAI_RANGE})"]
    assert lines[6:13] == [
        "Exporters:",
        "  nothing configured: traces go to the local store; metrics and logs are off (set "
        "OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_*_EXPORTER to export as standard OpenTelemetry)",
        "  traces: OTEL_TRACES_EXPORTER=genai_otel_local (genai-otel default)",
        "    genai_otel_local: the local store",
        "  metrics: OTEL_METRICS_EXPORTER=none (genai-otel default)",
        "  logs: OTEL_LOGS_EXPORTER=none (genai-otel default)",
        "",
    ]  # fmt: skip
    assert lines[13:16] == ["Local store:", f"  path: {filled_store}", "  retention: 7d max age"]
    assert lines[-5:] == ["Models without a price:", "  openai my-finetune-x: 2 calls",
                          "  (add them with GENAI_OTEL_PRICES_FILE; `genai-otel prices --check FILE` validates one)",
                          "", "All good."]


def test_an_endpoint_that_answers(run_cli: Any, filled_store: Path, nothing_configured: Any) -> None:
    with OTLPReceiver() as receiver:
        nothing_configured.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.grpc_endpoint)
        findings = doctor_json(run_cli, filled_store)
    host_port = receiver.grpc_endpoint.removeprefix("http://")
    assert findings["exporters"]["local_default"] is False
    for signal in ("traces", "metrics", "logs"):
        assert findings["exporters"]["signals"][signal]["exporters"] == [
            {"name": "otlp", "problem": False, "protocol": "grpc", "endpoint": receiver.grpc_endpoint,
             "answers": True, "detail": f"{host_port} accepts connections"}]
    assert findings["store"]["in_effect"] is False
    assert findings["needs_attention"] is False


def test_an_endpoint_that_does_not_answer(run_cli: Any, filled_store: Path, nothing_configured: Any) -> None:
    port = _closed_port()
    nothing_configured.setenv("OTEL_TRACES_EXPORTER", "otlp,genai_otel_local")
    nothing_configured.setenv("OTEL_METRICS_EXPORTER", "none")
    nothing_configured.setenv("OTEL_LOGS_EXPORTER", "none")
    nothing_configured.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    nothing_configured.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    findings = doctor_json(run_cli, filled_store, "--timeout", "0.5", status=1)
    assert findings["exporters"]["signals"]["traces"] == {
        "variable": "OTEL_TRACES_EXPORTER", "value": "otlp,genai_otel_local", "from": "environment", "exporters": [
            {"name": "otlp", "problem": True, "protocol": "http/protobuf",
             "endpoint": f"http://127.0.0.1:{port}/v1/traces", "answers": False,
             "detail": f"127.0.0.1:{port}: Connection refused"},
            {"name": "genai_otel_local", "problem": False, "detail": "the local store"}]}  # fmt: skip
    assert findings["store"]["in_effect"] is True
    assert findings["needs_attention"] is True
    status, out, _ = run_cli("doctor", "--store", str(filled_store), "--timeout", "0.5")
    assert status == 1
    assert (f"!   otlp http/protobuf http://127.0.0.1:{port}/v1/traces: does not answer (127.0.0.1:{port}: Connection "
            "refused)") in out.splitlines()
    assert out.splitlines()[-1] == "Needs attention (lines marked !)."


def test_a_disabled_instrumentor(run_cli: Any, filled_store: Path, nothing_configured: Any) -> None:
    nothing_configured.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "genai_otel_anthropic")
    findings = doctor_json(run_cli, filled_store)
    assert [(sdk["package"], sdk["status"]) for sdk in findings["sdks"]] == [
        ("anthropic", "disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"), ("openai", "instrumented")]


def test_a_missing_store(run_cli: Any, tmp_path: Path, nothing_configured: Any) -> None:
    findings = doctor_json(run_cli, tmp_path / "none.sqlite3")
    assert findings["store"] == {"path": str(tmp_path / "none.sqlite3"), "in_effect": True,
                                 "retention": "30d max age, 100000 rows max", "exists": False, "problem": False,
                                 "detail": "not created yet (it appears with the first exported call)"}
    assert findings["models_without_price"] == []


def test_a_corrupt_store(run_cli: Any, tmp_path: Path, nothing_configured: Any) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    findings = doctor_json(run_cli, bad, status=1)
    assert findings["store"]["problem"] is True
    assert findings["store"]["detail"].startswith(f"{bad} is not a readable genai-otel store (file is not a database)")
    status, out, _ = run_cli("doctor", "--store", str(bad))
    assert status == 1
    assert f"! {bad} is not a readable genai-otel store (file is not a database)." in out


def test_bad_arguments(run_cli: Any, filled_store: Path) -> None:
    status, out, err = run_cli("doctor", "--timeout", "0")
    assert (status, out) == (2, "")
    assert "argument --timeout: must be more than 0 and at most 60: '0'" in err
