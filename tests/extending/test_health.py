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


def test_self_health_counts_reach_an_otlp_receiver_by_kind() -> None:
    """A raising hook, content over its budget, a model without a price and an internal error, in an app run under
    opentelemetry-instrument: each counter arrives with its attributes and count."""
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
        env.update(receiver.exporter_env("http/protobuf"))
        env.update(OPENAI_BASE_URL=server.openai_base_url, OPENAI_API_KEY="sk-e2e-FAKEKEY-0123456789",
                   OTEL_METRIC_EXPORT_INTERVAL="60000", OTEL_BSP_SCHEDULE_DELAY="100", PYTHONPATH=str(ROOT),
                   GENAI_OTEL_HOOKS="tests.extending.sample_hooks:broken",
                   OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY",
                   GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES="256")
        result = subprocess.run([str(INSTRUMENT), sys.executable, str(ROOT / "tests" / "extending" / "health_app.py")],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "answer: word0" in result.stdout  # the app never noticed
        receiver.wait_for_metrics("genai_otel.hook.failures", timeout=20)  # the one export at shutdown
        arrived = {m.name: m for m in receiver.metrics() if m.name in NAMES}
    counted = {name: sorted((dict(p.attributes), p.value) for p in arrived[name].points if p.attributes)
               for name in NAMES}
    unpriced = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "house-model-without-a-price",
                "gen_ai.response.model": "house-model-without-a-price"}
    # The hook ran at the end of all three calls, the third one too: its response handling failed inside genai-otel,
    # which ended its span there and still ran its end hooks (without response data), and counted the failure.
    assert counted == {
        "genai_otel.internal.errors": [({"genai_otel.error.kind": "response"}, 1)],
        "genai_otel.hook.failures": [({"genai_otel.hook.name": "tests.extending.sample_hooks:broken",
                                       "genai_otel.hook.phase": "end", "error.type": "RuntimeError"}, 3)],
        "genai_otel.content.truncated": [({"genai_otel.content.location": "gen_ai.input.messages"}, 1)],
        "genai_otel.client.unpriced_calls": [(unpriced, 1)],
    }
    assert "genai-otel: end hook tests.extending.sample_hooks:broken: raised RuntimeError" in result.stderr
