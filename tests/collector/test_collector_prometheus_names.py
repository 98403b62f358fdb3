"""The Prometheus names used by rules and dashboards are the ones the OTel Python exporter produces.

A subprocess records every genai-otel instrument (same names, units, attributes and bucket
boundaries as the instrumentation) through opentelemetry-exporter-prometheus and prints the scrape
output; the test compares it with promql.APP_METRICS and the label names the rules rely on.
Skipped when the exporter is not installed (pip install opentelemetry-exporter-prometheus).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest
from promql import (
    APP_METRICS,
    COLLECTOR_METRICS,
    dashboard_expressions,
    metric_names,
    recording_names,
    rule_expressions,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("opentelemetry.exporter.prometheus") is None,
    reason="opentelemetry-exporter-prometheus not installed (pip install opentelemetry-exporter-prometheus)",
)

PROBE = textwrap.dedent(
    r'''
    import json
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import REGISTRY
    from prometheus_client.parser import text_string_to_metric_families
    from prometheus_client import generate_latest

    DURATION = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
    TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
    meter = MeterProvider(metric_readers=[PrometheusMetricReader()]).get_meter("genai_otel")
    call = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06", "server.address": "api.openai.com", "server.port": 443}
    hist = lambda n, u, b: meter.create_histogram(n, unit=u, explicit_bucket_boundaries_advisory=b)
    hist("gen_ai.client.operation.duration", "s", DURATION).record(0.5, call)
    hist("gen_ai.client.operation.duration", "s", DURATION).record(0.7, {**call, "error.type": "timeout"})
    hist("gen_ai.client.token.usage", "{token}", TOKENS).record(10, {**call, "gen_ai.token.type": "input"})
    hist("gen_ai.client.token.usage", "{token}", TOKENS).record(5, {**call, "gen_ai.token.type": "output"})
    hist("gen_ai.client.operation.time_to_first_chunk", "s", DURATION).record(0.2, call)
    hist("gen_ai.client.operation.time_per_output_chunk", "s", DURATION).record(0.01, call)
    meter.create_counter("genai_otel.client.cost", unit="USD").add(0.01, {k: call[k] for k in
        ("gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.operation.name")})
    meter.create_counter("genai_otel.client.unpriced_calls", unit="{call}").add(1, call)
    meter.create_counter("genai_otel.internal.errors", unit="{error}").add(1, {"genai_otel.error.kind": "hook"})
    meter.create_counter("genai_otel.hook.failures", unit="{error}").add(1)
    meter.create_counter("genai_otel.content.truncated", unit="{event}").add(1)

    text = generate_latest(REGISTRY).decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, set()).update(s.labels)
    print(json.dumps({"samples": {k: sorted(v) for k, v in samples.items()}, "text": text}))
    '''
)


@pytest.fixture(scope="module")
def scrape() -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_exporter_produces_exactly_the_names_we_use(scrape):
    produced = {name for name in scrape["samples"] if name.startswith(("gen_ai_", "genai_otel_"))}
    assert produced == set(APP_METRICS)


def test_labels_the_rules_rely_on(scrape):
    labels = scrape["samples"]
    base = {"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model",
            "server_address", "server_port"}
    assert base <= set(labels["gen_ai_client_operation_duration_seconds_count"])
    assert "error_type" in labels["gen_ai_client_operation_duration_seconds_count"]
    assert "gen_ai_token_type" in labels["gen_ai_client_token_usage_sum"]
    assert "le" in labels["gen_ai_client_operation_duration_seconds_bucket"]
    assert {"gen_ai_provider_name", "gen_ai_request_model"} <= set(labels["genai_otel_client_cost_USD_total"])
    assert "genai_otel_error_kind" in labels["genai_otel_internal_errors_total"]


def test_bucket_boundaries_render_as_in_the_promtool_tests(scrape):
    # the promtool unit tests use le="0.64", "1.28", "40.96", "+Inf" ...
    for le in ('le="0.64"', 'le="1.28"', 'le="40.96"', 'le="81.92"', 'le="+Inf"'):
        assert le in scrape["text"]


def test_rules_and_dashboard_reference_only_produced_or_derived_names(scrape):
    produced = set(scrape["samples"])
    derived = set(recording_names()) | COLLECTOR_METRICS | {"ALERTS"}
    for expr in rule_expressions() + dashboard_expressions():
        for name in metric_names(expr):
            assert name in produced or name in derived, (name, expr)
