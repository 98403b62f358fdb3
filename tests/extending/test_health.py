"""Self-health counters: created when an instrumentor starts, at 0, and exported like any other metric."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from genai_otel.genai.health import SELF_HEALTH_COUNTERS
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver
from tests.extending.conftest import reinstrumented

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
NAMES = {name for name, _ in SELF_HEALTH_COUNTERS}


def test_every_self_health_counter_exists_at_zero_once_instrumented(instrumented: None) -> None:
    reader = InMemoryMetricReader()
    with reinstrumented(meter_provider=MeterProvider(metric_readers=[reader])):
        data = reader.get_metrics_data()
    found = {}
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            assert scope_metrics.scope.name == "genai_otel"
            for metric in scope_metrics.metrics:
                if metric.name in NAMES:
                    found[metric.name] = (metric.unit, metric.data.is_monotonic,
                                          [(dict(p.attributes or {}), p.value) for p in metric.data.data_points])
    assert found == {name: (unit, True, [({}, 0)]) for name, unit in SELF_HEALTH_COUNTERS}


def test_self_health_counters_reach_an_otlp_receiver_under_opentelemetry_instrument() -> None:
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
        env.update(receiver.exporter_env("http/protobuf"))
        env.update(OPENAI_BASE_URL=server.openai_base_url, OPENAI_API_KEY="sk-e2e-FAKEKEY-0123456789",
                   OTEL_METRIC_EXPORT_INTERVAL="300", OTEL_BSP_SCHEDULE_DELAY="100")
        result = subprocess.run([str(INSTRUMENT), sys.executable, str(ROOT / "examples" / "chat_app.py")],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        receiver.wait_for_metrics("genai_otel.hook.failures", timeout=20)
        arrived = {m.name: m for m in receiver.metrics() if m.name in NAMES}
        assert set(arrived) == NAMES
        for name, unit in SELF_HEALTH_COUNTERS:
            metric = arrived[name]
            assert (metric.unit, metric.kind, metric.scope_name) == (unit, "sum", "genai_otel")
            assert [(dict(p.attributes), p.value) for p in metric.points if not p.attributes] == [({}, 0)]
