"""Grafana dashboard JSON and provisioning files."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from collector_cfg import GRAFANA_DIR
from promql import (
    APP_METRICS,
    COLLECTOR_METRICS,
    DEFAULT_VARIABLES,
    dashboard_expressions,
    dashboard_panels,
    metric_names,
    needs_collector,
    recording_names,
    substitute_variables,
)

DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))


@pytest.fixture(scope="module")
def dashboard() -> dict:
    (path,) = DASHBOARDS
    return json.loads(path.read_text())


def test_dashboard_json_loads_with_unique_ids(dashboard):
    assert dashboard["uid"] == "genai-otel-overview"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_template_variables(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"datasource", "job", "provider", "model"}
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("job", "provider", "model"):
        assert variables[name]["includeAll"] and variables[name]["allValue"] == ".*"
    assert "gen_ai_provider_name" in variables["provider"]["query"]["query"]
    assert "gen_ai_request_model" in variables["model"]["query"]["query"]


def test_every_panel_queries_prometheus_through_the_variable(dashboard):
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"] == panel["datasource"]


def test_panels_do_not_overlap(dashboard):
    cells = set()
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))


REQUIRED_PANELS = {
    "Calls per second": "gen_ai_client_operation_duration_seconds_count",
    "Error rate": 'error_type!=""',
    "Operation duration p50 / p95": "gen_ai_client_operation_duration_seconds_bucket",
    "Time to first chunk p50 / p95": "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
    "Tokens per second by type": "gen_ai_token_type",
    "Prompt-cache hit ratio (needs the collector)": "genai_otel_span_usage_cache_read_input_tokens_total",
    "Cost per hour (USD)": "genai_otel_client_cost_USD_total",
}


def test_required_panels_exist():
    by_title: dict[str, list[str]] = {}
    for _, title, expr in dashboard_panels():
        by_title.setdefault(title, []).append(expr)
    for title, needle in REQUIRED_PANELS.items():
        assert title in by_title, title
        assert any(needle in e for e in by_title[title]), title
    quantiles = " ".join(by_title["Operation duration p50 / p95"] + by_title["Time to first chunk p50 / p95"])
    assert quantiles.count("histogram_quantile(0.5,") == 2 and quantiles.count("histogram_quantile(0.95,") == 2


def test_panels_filter_by_provider_and_model():
    raw = [t["expr"] for p in json.loads(DASHBOARDS[0].read_text())["panels"] for t in p["targets"]]
    for expr in raw:
        if metric_names(expr) & (APP_METRICS | COLLECTOR_METRICS) and "genai_otel_internal" not in expr \
                and "hook_failures" not in expr and "content_truncated" not in expr:
            assert '$provider' in expr and '$model' in expr and '$job' in expr, expr


def test_expressions_substitute_all_variables():
    exprs = dashboard_expressions()
    assert len(exprs) >= 15
    for expr in exprs:
        assert "$" not in expr, expr
        assert "[1m]" in expr or "[1h]" in expr or "ALERTS" in expr, expr
    assert substitute_variables("rate(x{a=~\"${job:regex}\"}[$__rate_interval])", {"__rate_interval": "30s"}) \
        == 'rate(x{a=~".*"}[30s])'
    assert set(DEFAULT_VARIABLES) >= {"job", "provider", "model", "__rate_interval", "__range"}


def test_dashboard_uses_only_known_metrics():
    known = APP_METRICS | COLLECTOR_METRICS | set(recording_names()) | {"ALERTS"}
    for expr in dashboard_expressions():
        names = metric_names(expr)
        assert names and names <= known, (expr, names - known)


def test_only_the_cache_panel_needs_the_collector():
    flagged = {title for _, title, expr in dashboard_panels() if needs_collector(expr)}
    assert flagged == {"Prompt-cache hit ratio (needs the collector)"}


def test_provisioning_files():
    ds = yaml.safe_load((GRAFANA_DIR / "provisioning/datasources/datasources.yaml").read_text())
    prom = [d for d in ds["datasources"] if d["type"] == "prometheus"]
    assert len(prom) == 1 and prom[0]["isDefault"] and prom[0]["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/dashboards.yaml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert re.fullmatch(r"/var/lib/grafana/dashboards/[a-z-]+", provider["options"]["path"])
