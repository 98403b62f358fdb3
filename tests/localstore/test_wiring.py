"""The distro's default wiring: with nothing configured, ``opentelemetry-instrument`` sends GenAI calls to the local
store (behind a BatchSpanProcessor) and says so once; with an endpoint or exporter configured it is standard
OpenTelemetry, and the store is used only when listed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_otel import distro
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver
from tests.localstore._support import CHAT_APP, INSTRUMENT, NOTICE, clean_env, require_registered_exporter, stored_rows

CHAT_APP_OUTPUT = [
    "plain: word0 word1 word2 word3 word4", "streamed: word0 word1 word2 word3 word4", "tool call: get_weather",
    "rate limited, as asked: 429", "async: word0 word1 word2 word3 word4",
]  # fmt: skip
SPAN_NAMES = ["chat gpt-4o-mini"] * 4 + ["chat gpt-4.1"]
# The example app, then what the SDK set up: the span processors and the exporters behind them.
APP_THEN_PIPELINE = f"""
import json, runpy
runpy.run_path({str(CHAT_APP)!r}, run_name="__main__")
from opentelemetry import metrics, trace
processors = trace.get_tracer_provider()._active_span_processor._span_processors
print(json.dumps({{
    "processors": [[type(p).__name__, type(getattr(p, "span_exporter", None) or p._batch_processor._exporter).__name__]
                   for p in processors],
    "metric_readers": [type(r).__name__ for r in metrics.get_meter_provider()._metric_readers],
}}))
"""


class Scenario:
    """One run of the example app under ``opentelemetry-instrument``, started at once with the others."""

    def __init__(self, home: Path, fake_llm: FakeLLMServer, **env: str) -> None:
        home.mkdir(parents=True)
        self.home = home
        self._process = subprocess.Popen(
            [str(INSTRUMENT), sys.executable, "-c", APP_THEN_PIPELINE], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=clean_env(
                HOME=str(home), OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-fake",
                OTEL_BSP_SCHEDULE_DELAY="50", OTEL_METRIC_EXPORT_INTERVAL="200", **env))

    def result(self) -> tuple[list[str], dict[str, list[object]], str]:
        """The app's own output, the SDK pipeline it printed, its stderr."""
        out, err = self._process.communicate(timeout=90)
        assert self._process.returncode == 0, err
        *app_lines, pipeline = out.splitlines()
        return app_lines, json.loads(pipeline), err


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeLLMServer) -> Iterator[dict[str, Any]]:
    require_registered_exporter()
    base = tmp_path_factory.mktemp("wiring")
    with OTLPReceiver() as receiver:
        runs = {
            "nothing": Scenario(base / "nothing", fake_llm),
            "endpoint": Scenario(base / "endpoint", fake_llm, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.grpc_endpoint,
                                 OTEL_SERVICE_NAME="endpoint"),
            "listed": Scenario(base / "listed", fake_llm, OTEL_TRACES_EXPORTER="otlp,genai_otel_local",
                               OTEL_EXPORTER_OTLP_ENDPOINT=receiver.grpc_endpoint, OTEL_METRICS_EXPORTER="none",
                               OTEL_SERVICE_NAME="listed",
                               GENAI_OTEL_LOCAL_STORE_PATH=str(base / "listed" / "listed.sqlite3")),
        }  # fmt: skip
        results = {name: run.result() for name, run in runs.items()}
        spans = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=10, timeout=20)
        receiver.wait_for_metrics("gen_ai.client.operation.duration", timeout=20)
        yield {"base": base, "results": results, "spans": spans}


def test_nothing_configured_means_the_local_store(scenarios: dict[str, Any]) -> None:
    app_output, pipeline, stderr = scenarios["results"]["nothing"]
    assert app_output == CHAT_APP_OUTPUT
    store = scenarios["base"] / "nothing" / ".local" / "share" / "genai-otel" / "calls.sqlite3"  # the default
    assert pipeline == {"processors": [["BatchSpanProcessor", "LocalStoreSpanExporter"]], "metric_readers": []}
    assert stderr.count(NOTICE) == 1
    assert stderr.strip() == (
        f"{NOTICE}, so GenAI calls are recorded in the local store {store} (see them with `genai-otel report`). Set "
        "GENAI_OTEL_LOCAL_STORE_PATH to use another file, or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER to "
        "export as standard OpenTelemetry.")
    rows = stored_rows(store)
    assert [row["span_name"] for row in rows] == SPAN_NAMES
    assert [row["status"] for row in rows] == ["UNSET", "UNSET", "UNSET", "ERROR", "UNSET"]
    assert {span.resource["service.name"] for span in scenarios["spans"]} == {"endpoint", "listed"}  # none from it


def test_an_endpoint_means_standard_opentelemetry(scenarios: dict[str, Any]) -> None:
    app_output, pipeline, stderr = scenarios["results"]["endpoint"]
    spans = [span for span in scenarios["spans"] if span.resource["service.name"] == "endpoint"]
    assert app_output == CHAT_APP_OUTPUT
    assert sorted(span.name for span in spans) == sorted(SPAN_NAMES)
    assert pipeline == {"processors": [["BatchSpanProcessor", "OTLPSpanExporter"]],
                        "metric_readers": ["PeriodicExportingMetricReader"]}
    assert NOTICE not in stderr
    assert not (scenarios["base"] / "endpoint" / ".local").exists()


def test_the_store_is_used_where_listed(scenarios: dict[str, Any]) -> None:
    _, pipeline, stderr = scenarios["results"]["listed"]
    spans = [span for span in scenarios["spans"] if span.resource["service.name"] == "listed"]
    assert pipeline["processors"] == [["BatchSpanProcessor", "OTLPSpanExporter"],
                                      ["BatchSpanProcessor", "LocalStoreSpanExporter"]]
    assert NOTICE not in stderr
    rows = stored_rows(scenarios["base"] / "listed" / "listed.sqlite3")
    assert len(rows) == 5
    assert sorted((row["trace_id"], row["span_id"]) for row in rows) == sorted(
        (span.trace_id, span.span_id) for span in spans)
    assert not (scenarios["base"] / "listed" / ".local").exists()


# --- the distro's decision, in process ----------------------------------------------------------------------------

LOCAL = {"OTEL_TRACES_EXPORTER": "genai_otel_local", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
OTLP = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp"}


def test_nothing_set_plans_the_local_store() -> None:
    assert distro.plan({}) == distro.Plan(True, LOCAL)
    assert distro.plan({"OTEL_SERVICE_NAME": "svc", "OTEL_EXPORTER_OTLP_ENDPOINT": "  "}) == distro.Plan(True, LOCAL)


@pytest.mark.parametrize("variable", distro.CONFIGURING_VARIABLES)
def test_any_exporter_or_endpoint_variable_plans_standard_opentelemetry(variable: str) -> None:
    assert distro.plan({variable: "x"}) == distro.Plan(False, OTLP)


def test_without_the_registered_exporter_it_falls_back_to_otlp() -> None:
    assert distro.plan({}, local_available=False) == distro.Plan(False, OTLP)


def test_apply_only_sets_defaults_and_announces_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GENAI_OTEL_LOCAL_STORE_PATH", str(tmp_path / "s.sqlite3"))
    environ: dict[str, str] = {"OTEL_SERVICE_NAME": "svc"}
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert distro.apply(environ).local
    assert environ == {"OTEL_SERVICE_NAME": "svc", **LOCAL}
    assert [r.getMessage()[:len(NOTICE)] for r in caplog.records] == [NOTICE]
    assert f"local store {tmp_path / 's.sqlite3'} " in caplog.records[0].getMessage()
    caplog.clear()
    environ = {"OTEL_METRICS_EXPORTER": "prometheus"}
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert not distro.apply(environ).local
    assert environ == {**OTLP, "OTEL_METRICS_EXPORTER": "prometheus"}
    assert caplog.records == []


def test_an_unregistered_exporter_warns_and_uses_otlp(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(distro, "_local_exporter_registered", lambda: False)
    environ: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert not distro.apply(environ).local
    assert environ == OTLP
    assert [r.getMessage() for r in caplog.records] == [
        "genai-otel: the 'genai_otel_local' traces exporter is not registered (an incomplete installation?); "
        "exporting over OTLP as standard OpenTelemetry does"]


def test_xdg_data_home_moves_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_otel.localstore import default_path, store_path

    monkeypatch.delenv("GENAI_OTEL_LOCAL_STORE_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == store_path() == tmp_path / "data" / "genai-otel" / "calls.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store_path() == tmp_path / "home" / ".local" / "share" / "genai-otel" / "calls.sqlite3"
    monkeypatch.setenv("GENAI_OTEL_LOCAL_STORE_PATH", "~/x.sqlite3")
    assert store_path() == tmp_path / "home" / "x.sqlite3"
