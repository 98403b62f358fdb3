"""Prometheus config, recording/alert rules and their promtool unit tests.

promtool comes from Debian's `prometheus` package (2.42). Tests that need it are skipped with a
clear reason when it is absent; CI installs it (apt-get install -y prometheus).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess

import pytest
import yaml
from collector_cfg import PROM_DIR
from promql import APP_METRICS, COLLECTOR_METRICS, alert_names, dashboard_panels, metric_names, recording_names, rules

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install -y prometheus); CI installs it"
)

RULE_FILES = sorted((PROM_DIR / "rules").glob("*.rules.yml"))
CI_RULE_FILES = sorted((PROM_DIR / "rules-ci").glob("*.rules.yml"))
UNIT_TESTS = sorted((PROM_DIR / "tests").glob("*.test.yml"))
PROM_CONFIGS = [PROM_DIR / "prometheus.yml", PROM_DIR / "prometheus-ci.yml"]

REQUIRED_ALERTS = {
    "GenAIHighErrorRate",
    "GenAIHighLatencyP95",
    "GenAISlowTimeToFirstChunk",
    "GenAITokenRateSpike",
    "GenAICostBudgetExceeded",
    "GenAITrafficStopped",
    "GenAIInstrumentationErrors",
}


def promtool(*args: str, cwd=PROM_DIR) -> subprocess.CompletedProcess:
    proc = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"promtool {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


# --- promtool ------------------------------------------------------------------------------------


@needs_promtool
def test_promtool_check_rules():
    promtool("check", "rules", *map(str, RULE_FILES + CI_RULE_FILES))


@needs_promtool
@pytest.mark.parametrize("config", PROM_CONFIGS, ids=lambda p: p.name)
def test_promtool_check_config(config):
    promtool("check", "config", str(config))


@needs_promtool
def test_promtool_unit_tests():
    out = promtool("test", "rules", *[p.name for p in UNIT_TESTS], cwd=PROM_DIR / "tests")
    assert out.stdout.count("SUCCESS") == len(UNIT_TESTS), out.stdout


@needs_promtool
def test_dashboard_expressions_parse(tmp_path):
    """promtool has no standalone expression checker: wrap each panel query in a recording rule."""
    exprs = dashboard_panels()
    doc = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": expr} for i, (_, _, expr) in enumerate(exprs)
    ]}]}
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump(doc))
    promtool("check", "rules", str(path), cwd=tmp_path)


# --- file structure (no promtool needed) ---------------------------------------------------------


def test_ci_rules_are_up_to_date():
    spec = importlib.util.spec_from_file_location("make_ci_rules", PROM_DIR / "make_ci_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.generate()
    assert sorted(p.name for p in generated) == sorted(p.name for p in CI_RULE_FILES)
    for path, content in generated.items():
        assert path.read_text() == content, \
            f"{path.name} is stale: run python collector-config/prometheus/make_ci_rules.py"


def test_ci_rules_only_differ_in_for_durations():
    prod, ci = rules(ci=False), rules(ci=True)
    assert len(prod) == len(ci)
    for a, b in zip(prod, ci, strict=True):
        assert {k: v for k, v in a.items() if k != "for"} == {k: v for k, v in b.items() if k != "for"}
        if "alert" in b:
            assert b["for"] == "5s"


def test_all_required_alerts_exist():
    assert set(alert_names()) == REQUIRED_ALERTS


def test_every_alert_has_for_severity_and_annotations():
    for path in RULE_FILES:
        text = path.read_text()
        for rule in (r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r):
            assert "for" in rule, rule["alert"]
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert rule["annotations"].get("summary") and rule["annotations"].get("description"), rule["alert"]
        # the CI generator rewrites `for:` line by line
        n_alerts = sum(1 for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r)
        assert len(re.findall(r"^\s+for: \S+$", text, re.MULTILINE)) == n_alerts, path.name


def test_recording_rule_names_follow_convention():
    for name in recording_names():
        assert re.fullmatch(r"genai:[a-z0-9_]+:[a-z0-9_]+", name), name


def test_rules_use_only_known_metric_names():
    known = APP_METRICS | set(recording_names())
    for rule in rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: unknown metrics {unknown}"


def test_no_group_interval_so_ci_evaluation_interval_applies():
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            assert "interval" not in group, f"{path.name}:{group['name']}"


def test_prometheus_configs_load_the_rule_files():
    prod = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    ci = yaml.safe_load((PROM_DIR / "prometheus-ci.yml").read_text())
    assert sorted(prod["rule_files"]) == sorted(f"rules/{p.name}" for p in RULE_FILES)
    assert sorted(ci["rule_files"]) == sorted(f"rules-ci/{p.name}" for p in CI_RULE_FILES)
    assert ci["global"]["evaluation_interval"] == "1s"
    assert ci["global"]["scrape_interval"] == "1s"
    # the app exposes the Python exporter's default port in CI
    targets = [t for job in ci["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == ["127.0.0.1:9464"]


# --- the unit tests cover every alert: firing on one series, quiet on another ---------------------


def _unit_test_cases():
    for path in UNIT_TESTS:
        doc = yaml.safe_load(path.read_text())
        for test in doc["tests"]:
            series = [s["series"] for s in test.get("input_series") or []]
            for case in test.get("alert_rule_test") or []:
                yield path.name, series, case


def _labels_of(series: str) -> dict[str, str]:
    body = series[series.index("{") + 1 : series.rindex("}")] if "{" in series else ""
    return dict(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"', body))


def test_every_alert_is_shown_firing_and_quiet():
    fires, quiet = set(), set()
    for _, series, case in _unit_test_cases():
        name, expected = case["alertname"], case.get("exp_alerts") or []
        if not expected:
            quiet.add(name)
            continue
        fires.add(name)
        # a series of the same metric family whose identifying labels match no expected alert
        keys = {k for alert in expected for k in alert["exp_labels"] if k != "severity"}
        expected_sets = [{k: alert["exp_labels"].get(k) for k in keys} for alert in expected]
        for s in series:
            labels = _labels_of(s)
            if keys and {k: labels.get(k) for k in keys} not in expected_sets:
                quiet.add(name)
    assert fires >= REQUIRED_ALERTS, f"never shown firing: {REQUIRED_ALERTS - fires}"
    assert quiet >= REQUIRED_ALERTS, f"never shown quiet: {REQUIRED_ALERTS - quiet}"


def test_collector_only_metrics_are_not_used_by_alerts():
    for rule in rules():
        assert not metric_names(rule["expr"]) & COLLECTOR_METRICS, rule
