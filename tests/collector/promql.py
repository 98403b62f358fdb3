"""Every PromQL expression shipped in collector-config/, ready to evaluate against a live Prometheus.

For the end-to-end test (a later stage runs the instrumented app, scrapes it with Prometheus and
evaluates these):

    import sys; sys.path.insert(0, "tests/collector")   # or run from within tests/collector
    from promql import dashboard_expressions, rule_expressions, needs_collector

    for expr in dashboard_expressions() + rule_expressions():
        ...  # GET /api/v1/query?query=<expr>: must return status "success"

Grafana template variables are substituted: $job / $provider / $model (and ${var}, ${var:regex}
forms) -> ".*" (the dashboard's "All" value), $__rate_interval / $__interval -> "1m",
$__range -> "1h". Pass `variables=` to override (e.g. {"__rate_interval": "30s"}).

Expressions for which `needs_collector(expr)` is true use metrics that only exist when traffic goes
through the collector's signaltometrics connector (the prompt-cache hit ratio); against an app
scraped directly they legitimately return an empty vector. `ALERTS` only has series while an alert
is pending or firing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

_ROOT = Path(__file__).resolve().parents[2] / "collector-config"
DASHBOARD_DIR = _ROOT / "grafana" / "dashboards"
RULES_DIR = _ROOT / "prometheus" / "rules"
CI_RULES_DIR = _ROOT / "prometheus" / "rules-ci"

DEFAULT_VARIABLES = {
    "job": ".*",
    "provider": ".*",
    "model": ".*",
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
}

# Series names produced by opentelemetry-exporter-prometheus for genai-otel's instruments, checked
# by running the exporter (tests/collector/test_collector_prometheus_names.py keeps this honest).
APP_METRICS = frozenset(
    {
        "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_count",
        "gen_ai_client_operation_duration_seconds_sum",
        "gen_ai_client_token_usage_bucket",
        "gen_ai_client_token_usage_count",
        "gen_ai_client_token_usage_sum",
        "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
        "gen_ai_client_operation_time_to_first_chunk_seconds_count",
        "gen_ai_client_operation_time_to_first_chunk_seconds_sum",
        "gen_ai_client_operation_time_per_output_chunk_seconds_bucket",
        "gen_ai_client_operation_time_per_output_chunk_seconds_count",
        "gen_ai_client_operation_time_per_output_chunk_seconds_sum",
        "genai_otel_client_cost_USD_total",
        "genai_otel_client_unpriced_calls_total",
        "genai_otel_internal_errors_total",
        "genai_otel_hook_failures_total",
        "genai_otel_content_truncated_total",
    }
)

# Produced by the collector (signaltometrics -> deltatocumulative -> prometheus exporter), from the
# connector metric names in gateway.yaml / single-node.yaml. Not verified against a running
# collector (none runs in CI): expected by the same naming rules (monotonic sum -> _total,
# {token} annotation dropped).
COLLECTOR_METRICS = frozenset(
    {
        "genai_otel_span_usage_input_tokens_total",
        "genai_otel_span_usage_cache_read_input_tokens_total",
    }
)

_VAR = re.compile(r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")
_METRIC = re.compile(r"\b(?:gen_ai_[a-z_]+|genai_otel_[A-Za-z_]+|genai:[a-z0-9_:]+|ALERTS)\b")


def substitute_variables(expr: str, variables: dict[str, str] | None = None) -> str:
    values = dict(DEFAULT_VARIABLES, **(variables or {}))

    def repl(match: re.Match) -> str:
        name = match.group("braced") or match.group("bare")
        if name not in values:
            raise KeyError(f"no value for Grafana variable ${name} in {expr!r}")
        return values[name]

    return _VAR.sub(repl, expr)


def _panels(panels: list) -> list:
    out = []
    for panel in panels:
        out.append(panel)
        out.extend(_panels(panel.get("panels") or []))  # collapsed rows
    return out


def dashboard_panels(variables: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) for every panel target of every dashboard."""
    result = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard.get("panels") or []):
            for target in panel.get("targets") or []:
                if target.get("expr"):
                    result.append((path.name, panel["title"], substitute_variables(target["expr"], variables)))
    return result


def dashboard_expressions(variables: dict[str, str] | None = None) -> list[str]:
    """All dashboard panel expressions, template variables substituted."""
    return [expr for _, _, expr in dashboard_panels(variables)]


def rules(ci: bool = False) -> list[dict]:
    """Every rule (recording and alerting) as a dict, from rules/ or the CI copy rules-ci/."""
    directory = CI_RULES_DIR if ci else RULES_DIR
    result = []
    for path in sorted(directory.glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            result.extend(group["rules"])
    return result


def rule_expressions(ci: bool = False) -> list[str]:
    """The `expr` of every recording and alerting rule."""
    return [rule["expr"].strip() for rule in rules(ci)]


def alert_names(ci: bool = False) -> list[str]:
    return [rule["alert"] for rule in rules(ci) if "alert" in rule]


def recording_names(ci: bool = False) -> list[str]:
    return [rule["record"] for rule in rules(ci) if "record" in rule]


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def metric_names(expr: str) -> set[str]:
    """Metric / recorded-series names referenced by an expression (genai names and ALERTS only).

    Label names (in matchers and in by/on/without/ignoring clauses) are not metric names.
    """
    stripped = _GROUPING.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub('""', expr)))
    return set(_METRIC.findall(stripped))


def needs_collector(expr: str) -> bool:
    """True when the expression reads metrics that only the collector produces."""
    return bool(metric_names(expr) & COLLECTOR_METRICS)
