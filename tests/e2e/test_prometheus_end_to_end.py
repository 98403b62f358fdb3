"""End to end with a real Prometheus: the shipped rules and dashboard work on what genai-otel actually emits.

One stack per module, torn down whatever happens:

* the bundled fake LLM server, and the real OTLP receiver for traces;
* ``examples/steady_traffic_app.py`` under ``opentelemetry-instrument`` (no telemetry code in the app), with
  ``OTEL_METRICS_EXPORTER=prometheus`` serving ``/metrics`` on 127.0.0.1 and a free port, traces over OTLP/gRPC;
  30% of its calls fail (HTTP 500 and 429);
* Debian's ``prometheus`` binary (2.42, installed by ``.ci/run``) with ``collector-config/prometheus/prometheus-ci.yml``
  retargeted at the app: 1 s scrape and evaluation, the shipped rules from ``rules-ci/`` (alert ``for:`` 5s).

Everything is asserted through Prometheus' HTTP API: series names and labels, every rule and dashboard expression
evaluating, Prometheus' own rule health, and ``GenAIHighErrorRate`` reaching ``firing``. Skipped only when the
``prometheus`` binary is missing.
"""

from __future__ import annotations

import importlib.util
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from genai_otel.genai import semconv
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver

from ._prometheus import APP_JOB, PrometheusServer, ci_config, free_port, prometheus_binary

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "collector"))
from promql import (  # noqa: E402
    APP_METRICS,
    dashboard_expressions,
    metric_names,
    needs_collector,
    rule_expressions,
    rules,
)

pytestmark = pytest.mark.skipif(
    prometheus_binary() is None,
    reason="the prometheus binary is not installed (CI installs it: apt-get install prometheus, see .ci/run)",
)

INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
APP = ROOT / "examples" / "steady_traffic_app.py"
SERVICE = "steady-traffic-app"
MODEL, RESPONSE_MODEL, UNPRICED_MODEL = "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "in-house-chat-v1"
ALERT = "GenAIHighErrorRate"
READY_TIMEOUT, FIRING_TIMEOUT = 30.0, 90.0
EXPECTED_METRICS = {
    f"{base}_{suffix}"
    for base in (
        "gen_ai_client_operation_duration_seconds",
        "gen_ai_client_token_usage",
        "gen_ai_client_operation_time_to_first_chunk_seconds",
        "gen_ai_client_operation_time_per_output_chunk_seconds",
    )
    for suffix in ("bucket", "count", "sum")
} | {"genai_otel_client_cost_USD_total", "genai_otel_client_unpriced_calls_total"}

T = TypeVar("T")


@dataclass
class Stack:
    prometheus: PrometheusServer
    receiver: OTLPReceiver
    app: subprocess.Popen[bytes]
    app_log: Path
    app_started: float
    timings: dict[str, float] = field(default_factory=dict)

    def app_output(self) -> str:
        return self.app_log.read_text(errors="replace") if self.app_log.exists() else ""

    def diagnostics(self) -> str:
        return (
            f"--- app (exit code {self.app.poll()}):\n{self.app_output()[-4000:]}\n"
            f"--- prometheus log:\n{self.prometheus.log_tail()}"
        )

    def wait_for(
        self, what: str, probe: Callable[[], T | None], timeout: float, detail: Callable[[], object] = lambda: ""
    ) -> T:
        """Poll ``probe`` every 0.25 s until it returns something truthy; fail with ``detail()`` and the output
        of both processes."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            if self.app.poll() is not None:
                pytest.fail(f"the app exited while waiting for {what} {detail()}\n{self.diagnostics()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} {detail()}\n{self.diagnostics()}")
            time.sleep(0.25)

    def stop_app(self) -> int:
        """SIGTERM (the app stops its loop and exits, so the SDK flushes), SIGKILL after 20 s. Idempotent."""
        if self.app.poll() is None:
            self.app.send_signal(signal.SIGTERM)
            try:
                self.app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait(timeout=5)
        return self.app.returncode


def _app_env(server: FakeLLMServer, receiver: OTLPReceiver, metrics_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.update(receiver.exporter_env("grpc"))
    env.update(
        OPENAI_BASE_URL=server.openai_base_url,
        OPENAI_API_KEY="sk-e2e-FAKEKEY-0123456789",
        OTEL_SERVICE_NAME=SERVICE,
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="prometheus",
        OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1",
        OTEL_EXPORTER_PROMETHEUS_PORT=str(metrics_port),
        OTEL_BSP_SCHEDULE_DELAY="200",
        GENAI_OTEL_RAISE_INTERNAL_ERRORS="true",  # an instrumentation bug crashes the app instead of hiding
        STEADY_TRAFFIC_SECONDS="150",  # upper bound only: the fixture stops it with SIGTERM
        STEADY_TRAFFIC_INTERVAL="0.05",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if importlib.util.find_spec("opentelemetry.exporter.prometheus") is None:
        pytest.fail("opentelemetry-exporter-prometheus is not installed; it belongs to the test extras")
    workdir = tmp_path_factory.mktemp("prometheus-e2e")
    metrics_port = free_port()
    with ExitStack() as cleanup:
        server = cleanup.enter_context(FakeLLMServer())
        receiver = cleanup.enter_context(OTLPReceiver())
        prometheus = cleanup.enter_context(PrometheusServer(ci_config(f"127.0.0.1:{metrics_port}"), workdir))
        app_log = workdir / "app.log"
        with app_log.open("wb") as log:
            started = time.monotonic()
            app = subprocess.Popen(
                [str(INSTRUMENT), sys.executable, str(APP)],
                env=_app_env(server, receiver, metrics_port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
            )
        running = Stack(prometheus, receiver, app, app_log, started)
        cleanup.callback(running.stop_app)

        def up() -> bool:
            return any(s["value"][1] == "1" for s in prometheus.query(f'up{{job="{APP_JOB}"}}'))

        running.wait_for("Prometheus to scrape the app (up == 1)", up, READY_TIMEOUT)
        running.timings["scraped"] = time.monotonic() - started
        yield running


@pytest.fixture(scope="module")
def firing(stack: Stack) -> dict[str, Any]:
    """The GenAIHighErrorRate alert once it is firing (bounded wait)."""

    def firing_alert() -> dict[str, Any] | None:
        return next(
            (a for a in stack.prometheus.alerts() if a["labels"]["alertname"] == ALERT and a["state"] == "firing"),
            None,
        )

    def pending_alert() -> dict[str, Any] | None:
        return next((a for a in stack.prometheus.alerts() if a["labels"]["alertname"] == ALERT), None)

    stack.wait_for(f"{ALERT} to be pending", pending_alert, FIRING_TIMEOUT)
    stack.timings["pending"] = time.monotonic() - stack.app_started
    alert = stack.wait_for(f"{ALERT} to fire", firing_alert, FIRING_TIMEOUT)
    stack.timings["firing"] = time.monotonic() - stack.app_started
    print(
        f"\n{ALERT}: timings after the app started (s): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in stack.timings.items())
    )
    return alert


def _series_names(stack: Stack) -> set[str]:
    return {s["__name__"] for s in stack.prometheus.series('{__name__=~"gen_ai_.+|genai_otel_.+"}')}


def test_genai_series_exist_with_the_expected_names_and_labels(stack: Stack) -> None:
    prometheus = stack.prometheus

    def complete() -> set[str] | None:
        names = _series_names(stack)
        return names if names >= EXPECTED_METRICS else None

    names = stack.wait_for(
        "every GenAI series the app produces",
        complete,
        READY_TIMEOUT,
        lambda: f"(missing: {sorted(EXPECTED_METRICS - _series_names(stack))})",
    )
    assert names <= APP_METRICS, names - APP_METRICS  # nothing outside the names the rules were written for
    print(f"\nGenAI series names in Prometheus: {sorted(names)}")

    call = f'job="{APP_JOB}", gen_ai_provider_name="openai", gen_ai_operation_name="chat"'
    for error_type in ("openai.InternalServerError", "openai.RateLimitError"):
        failed = prometheus.query(
            f'gen_ai_client_operation_duration_seconds_bucket{{{call}, gen_ai_request_model="{MODEL}", '
            f'error_type="{error_type}", le="+Inf"}}'
        )
        assert len(failed) == 1, failed
        assert "gen_ai_response_model" not in failed[0]["metric"]  # an empty label is no label in Prometheus
        assert float(failed[0]["value"][1]) > 0

    succeeded = prometheus.query(
        f'gen_ai_client_operation_duration_seconds_count{{{call}, error_type="", gen_ai_request_model="{MODEL}"}}'
    )
    assert len(succeeded) == 1, succeeded
    labels = succeeded[0]["metric"]
    assert labels["gen_ai_response_model"] == RESPONSE_MODEL
    assert labels["server_address"] == "127.0.0.1" and labels["otel_scope_name"] == "genai_otel"
    assert "error_type" not in labels

    buckets = prometheus.query(f'gen_ai_client_operation_duration_seconds_bucket{{{call}, error_type=""}}')
    assert {float(s["metric"]["le"]) for s in buckets} == {*semconv.DURATION_BUCKETS, math.inf}

    tokens = prometheus.query(f"gen_ai_client_token_usage_sum{{{call}}}")
    assert {(s["metric"]["gen_ai_request_model"], s["metric"]["gen_ai_token_type"]) for s in tokens} == {
        (model, kind) for model in (MODEL, UNPRICED_MODEL) for kind in ("input", "output")
    }
    assert all(float(s["value"][1]) > 0 for s in tokens)

    for histogram in ("time_to_first_chunk", "time_per_output_chunk"):
        streamed = prometheus.query(f"gen_ai_client_operation_{histogram}_seconds_count{{{call}}}")
        assert [s["metric"]["gen_ai_request_model"] for s in streamed] == [MODEL], streamed
    ttfc = prometheus.query(
        f"gen_ai_client_operation_time_to_first_chunk_seconds_sum{{{call}}}"
        f" / gen_ai_client_operation_time_to_first_chunk_seconds_count{{{call}}}"
    )
    assert float(ttfc[0]["value"][1]) >= 0.02  # the app asks the fake server for a 20 ms wait before the first chunk

    cost = prometheus.query(f'genai_otel_client_cost_USD_total{{job="{APP_JOB}"}}')
    assert [s["metric"]["gen_ai_request_model"] for s in cost] == [MODEL] and float(cost[0]["value"][1]) > 0
    unpriced = prometheus.query(f'genai_otel_client_unpriced_calls_total{{job="{APP_JOB}"}} > 0')
    assert [s["metric"]["gen_ai_request_model"] for s in unpriced] == [UNPRICED_MODEL]
    # Self-health counters exist from start-up at 0 (a series without call labels), so alerts have a series to watch.
    for counter in ("genai_otel_client_unpriced_calls_total", "genai_otel_internal_errors_total"):
        zero = prometheus.query(f'{counter}{{job="{APP_JOB}"}} == 0')
        assert [s["metric"].get("gen_ai_request_model") for s in zero] == [None], (counter, zero)

    (target,) = prometheus.query(f'target_info{{job="{APP_JOB}"}}')
    assert target["metric"]["service_name"] == SERVICE


def test_error_rate_alert_fires_and_nothing_else(stack: Stack, firing: dict[str, Any]) -> None:
    labels = firing["labels"]
    assert labels["job"] == APP_JOB and labels["severity"] == "critical"
    assert (labels["gen_ai_provider_name"], labels["gen_ai_request_model"], labels["gen_ai_operation_name"]) == (
        "openai",
        MODEL,
        "chat",
    )
    assert 0.2 < float(firing["value"]) < 0.5  # 3 failures in every 9 gpt-4o-mini calls
    assert "% for openai/gpt-4o-mini" in firing["annotations"]["summary"]

    others = [
        (a["labels"]["alertname"], a["labels"].get("gen_ai_request_model"), a["state"])
        for a in stack.prometheus.alerts()
        if a["labels"] != labels
    ]
    assert others == []  # the unpriced model never fails; no latency, cost, token or instrumentation alert


def test_every_rule_and_dashboard_expression_evaluates(stack: Stack, firing: dict[str, Any]) -> None:
    prometheus = stack.prometheus
    seen = _series_names(stack) | {"ALERTS"}
    recorded: set[str] = set()
    results: dict[str, list[dict[str, Any]]] = {}
    failures = []
    expressions = rule_expressions(ci=True) + dashboard_expressions()
    for expr in expressions:
        try:
            results[expr] = prometheus.query(expr)
        except AssertionError as error:
            failures.append(f"{expr}\n  -> {error}")
    assert not failures, "\n".join(failures)

    # Data, not just syntax: Prometheus' own evaluation of every rule is healthy, every recording rule produced
    # series, and so does every dashboard query whose metrics the app exports.
    health = [r for group in prometheus.api("rules")["groups"] for r in group["rules"]]
    assert len(health) == len(rules(ci=True))
    assert [(r["name"], r["health"], r.get("lastError")) for r in health if r["health"] != "ok"] == []
    for rule in rules(ci=True):
        if "record" in rule:
            assert results[rule["expr"].strip()], f"{rule['record']}: no data"
            assert prometheus.query(rule["record"]), f"{rule['record']} was never recorded by Prometheus"
            recorded.add(rule["record"])
    expected_data = [e for e in dashboard_expressions() if not needs_collector(e) and metric_names(e) <= seen]
    empty = [e for e in expected_data if not results[e]]
    assert empty == [], "dashboard queries without data although the app exports their metrics"

    collector_only = [e for e in expressions if needs_collector(e)]
    print(
        f"\nevaluated {len(expressions)} expressions ({len(rule_expressions(ci=True))} rules, "
        f"{len(dashboard_expressions())} dashboard targets): all status success; {len(recorded)} recording rules and "
        f"{len(expected_data)} dashboard queries returned data; {len(collector_only)} need the collector; "
        f"{sum(1 for e in expressions if not results[e])} empty in total"
    )


def test_spans_reach_the_otlp_receiver(stack: Stack) -> None:
    def ours(span: Any) -> bool:
        return bool(span.scope_name == "genai_otel")

    stack.receiver.wait_for_spans(
        lambda s: ours(s) and s.attributes.get("error.type") == "openai.InternalServerError", timeout=20
    )
    stack.receiver.wait_for_spans(lambda s: ours(s) and s.attributes.get("gen_ai.request.stream") is True, timeout=20)
    spans = [s for s in stack.receiver.spans() if ours(s)]
    assert {s.name for s in spans} == {f"chat {MODEL}", f"chat {UNPRICED_MODEL}"}
    assert {s.transport for s in spans} == {"grpc"}
    assert {s.resource["service.name"] for s in spans} == {SERVICE}
    assert all(s.kind == "CLIENT" and s.attributes["gen_ai.provider.name"] == "openai" for s in spans)
    errors = {s.attributes["error.type"] for s in spans if s.status_code == "ERROR"}
    assert errors == {"openai.InternalServerError", "openai.RateLimitError"}


def test_app_stops_on_sigterm_and_every_call_became_one_span(stack: Stack) -> None:
    assert stack.stop_app() == 0, stack.diagnostics()
    (summary,) = [line for line in stack.app_output().splitlines() if line.startswith("calls made: ")]
    made = {kind: int(count) for kind, count in (pair.split("=") for pair in summary.split()[2:])}
    failed = made.pop("failed")
    calls = sum(made.values())
    assert calls >= 50 and failed >= 15, made
    spans = stack.receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=calls, timeout=20)
    assert len(spans) == calls
    assert sum(1 for s in spans if s.status_code == "ERROR") == failed
