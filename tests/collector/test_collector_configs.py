"""Static checks of collector-config/{agent,gateway,single-node}.yaml against otelcol-contrib 0.136.0.

No collector binary is run here (CI has no Docker and we do not download otelcol-contrib); what a
file-level test can prove is checked: structure, component names, env placeholders, secrets, the
content-stripping and sampling logic, and consistency between the three files.
"""

from __future__ import annotations

import re

import pytest
import yaml
from collector_cfg import (
    ANY_REF,
    COLLECTOR_CONFIGS,
    COMPONENT_KINDS,
    CONFIG_DIR,
    CONTENT_ATTRIBUTES,
    ENV_REF,
    PINNED_RELEASE,
    component_type,
    env_refs,
    listening_ports,
    load_collector,
    load_components,
    resolved_collector,
    walk,
)

CONFIG_NAMES = sorted(COLLECTOR_CONFIGS)
SIGNALS = {"traces", "metrics", "logs"}


@pytest.fixture(scope="module")
def components() -> dict:
    return load_components()


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_yaml_parses_into_a_collector_config(name):
    cfg = load_collector(name)
    assert isinstance(cfg, dict)
    assert set(cfg) <= set(COMPONENT_KINDS) | {"service"}, set(cfg)
    assert cfg["service"]["pipelines"], "no pipelines"


# --- pipelines reference only defined components ------------------------------------------------


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_pipelines_name_only_defined_components(name):
    cfg = load_collector(name)
    defined = {kind: set((cfg.get(kind) or {}).keys()) for kind in COMPONENT_KINDS}
    for pid, pipe in cfg["service"]["pipelines"].items():
        assert component_type(pid) in SIGNALS, f"{pid}: unknown signal"
        assert pipe.get("receivers"), f"{pid}: no receivers"
        assert pipe.get("exporters"), f"{pid}: no exporters"
        for rid in pipe["receivers"]:
            assert rid in defined["receivers"] | defined["connectors"], f"{pid}: receiver {rid} undefined"
        for prid in pipe.get("processors") or []:
            assert prid in defined["processors"], f"{pid}: processor {prid} undefined"
        for eid in pipe["exporters"]:
            assert eid in defined["exporters"] | defined["connectors"], f"{pid}: exporter {eid} undefined"
    for xid in cfg["service"].get("extensions") or []:
        assert xid in defined["extensions"], f"extension {xid} undefined"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_every_defined_component_is_used(name):
    cfg = load_collector(name)
    pipes = cfg["service"]["pipelines"].values()
    used_r = {r for p in pipes for r in p["receivers"]}
    used_p = {x for p in pipes for x in p.get("processors") or []}
    used_e = {e for p in pipes for e in p["exporters"]}
    assert set(cfg.get("receivers") or {}) <= used_r
    assert set(cfg.get("processors") or {}) <= used_p
    assert set(cfg.get("exporters") or {}) <= used_e
    assert set(cfg.get("extensions") or {}) <= set(cfg["service"].get("extensions") or [])
    # a connector is an exporter of one pipeline and a receiver of another
    for cid in cfg.get("connectors") or {}:
        assert cid in used_e and cid in used_r, f"connector {cid} must be both exported to and received from"


# --- component types exist in the pinned release ------------------------------------------------


def test_component_data_file_is_self_consistent(components):
    assert components["release"] == PINNED_RELEASE
    assert components["image"].endswith(":" + PINNED_RELEASE)
    for kind, mapping in components["types"].items():
        assert kind in COMPONENT_KINDS
        for ctype, module in mapping.items():
            assert module in components["modules"][kind], f"{kind} {ctype}: {module} not in the release manifest"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_component_types_exist_in_pinned_release(name, components):
    cfg = load_collector(name)
    for kind in COMPONENT_KINDS:
        for cid in cfg.get(kind) or {}:
            ctype = component_type(cid)
            assert ctype in components["types"][kind], (
                f"{name}: {kind[:-1]} type {ctype!r} is not a verified otelcol-contrib {PINNED_RELEASE} component"
            )


# --- env placeholders, secrets ------------------------------------------------------------------

SECRETISH_KEY = re.compile(r"(api[_-]?key|token|password|passwd|secret|authorization|credential|x-honeycomb-team)",
                           re.I)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_placeholders_are_env_provider_references(name):
    text = COLLECTOR_CONFIGS[name].read_text()
    for ref in ANY_REF.findall(text):
        assert ENV_REF.fullmatch(ref), f"{name}: {ref} is not ${{env:NAME}} / ${{env:NAME:-default}}"
    # no bare $VAR either (the collector would not expand it the way a shell does)
    assert not re.search(r"\$[A-Za-z_]", text), f"{name}: bare $VAR reference"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_secret_looking_values_come_from_env_without_default(name):
    cfg = load_collector(name)
    checked = 0
    for path, value in walk(cfg):
        keys = [str(k) for k in path if isinstance(k, str)]
        under_headers = "headers" in keys
        if under_headers or (keys and SECRETISH_KEY.search(keys[-1])):
            checked += 1
            assert isinstance(value, str) and ENV_REF.fullmatch(value), f"{name}: {'.'.join(keys)} = {value!r}"
            if under_headers and keys[-1].lower() != "x-honeycomb-team" and not SECRETISH_KEY.search(keys[-1]):
                continue  # non-secret header (dataset): a default would be allowed
            assert ENV_REF.fullmatch(value).group("default") is None, f"{name}: secret {keys[-1]} has a default"
    if name != "agent":
        assert checked >= 2  # the two Honeycomb headers


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_secret_env_vars_never_have_defaults(name):
    for var, default in env_refs(COLLECTOR_CONFIGS[name].read_text()):
        if SECRETISH_KEY.search(var):
            assert default is None, f"{name}: {var} has a default"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_no_literal_endpoints_ports_or_thresholds(name):
    """Endpoints, ratios and thresholds must be ${env:...}, never literals."""
    cfg = load_collector(name)
    for path, value in walk(cfg):
        key = path[-1] if path and isinstance(path[-1], str) else ""
        if key in {"endpoint", "hostname", "port", "limit_percentage", "spike_limit_percentage",
                   "threshold_ms", "sampling_percentage", "decision_wait", "num_traces", "host"}:
            assert isinstance(value, str) and ENV_REF.fullmatch(value), f"{name}: {path} = {value!r}"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_every_env_var_is_documented_in_readme(name):
    readme = (CONFIG_DIR / "README.md").read_text()
    for var, _ in env_refs(COLLECTOR_CONFIGS[name].read_text()):
        assert f"`{var}`" in readme, f"{var} (used in {name}.yaml) is not documented in collector-config/README.md"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_config_resolves_with_defaults_and_secrets(name):
    env = {"HONEYCOMB_API_KEY": "test-key", "HONEYCOMB_DATASET": "genai"}
    cfg = resolved_collector(name, env)
    assert "${" not in yaml.safe_dump(cfg)
    ports = listening_ports(name)
    assert all(0 < p < 65536 for p in ports.values()), ports
    assert len(set(ports.values())) == len(ports), f"{name}: two listeners share a port: {ports}"


# --- the receiving side -------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_otlp_grpc_4317_and_http_4318(name):
    ports = listening_ports(name)
    assert ports["otlp/grpc"] == 4317
    assert ports["otlp/http"] == 4318


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_memory_limiter_is_first_where_data_enters(name):
    cfg = load_collector(name)
    connectors = set(cfg.get("connectors") or {})
    for pid, pipe in cfg["service"]["pipelines"].items():
        if set(pipe["receivers"]) - connectors:  # fed by a network receiver
            assert (pipe.get("processors") or [None])[0] == "memory_limiter", pid


def test_agent_pipeline(components):
    cfg = load_collector("agent")
    assert cfg["processors"]["resourcedetection"]["detectors"] == ["env", "system"]
    for signal in ("traces", "metrics"):
        pipe = cfg["service"]["pipelines"][signal]
        assert pipe["processors"] == ["memory_limiter", "resourcedetection", "batch"]
        assert pipe["exporters"] == ["otlp/gateway"]
    exp = cfg["exporters"]["otlp/gateway"]
    assert ENV_REF.fullmatch(exp["endpoint"]).group("name") == "GATEWAY_OTLP_ENDPOINT"
    assert exp["balancer_name"] == "pick_first"


# --- gateway: load-balancing tier feeding the tail-sampling tier --------------------------------


def test_gateway_load_balancing_routes_by_trace_id_to_sampling_tier():
    cfg = load_collector("gateway")
    resolved = resolved_collector("gateway")
    pipes = cfg["service"]["pipelines"]
    lb = resolved["exporters"]["loadbalancing"]
    assert lb["routing_key"] == "traceID"
    # the DNS resolver targets the sampling receiver's port
    assert int(lb["resolver"]["dns"]["port"]) == listening_ports("gateway")["otlp/sampling/grpc"]
    # ingest tier: no sampling, exports to the load balancer
    ingest = [p for p in pipes.values() if "loadbalancing" in p["exporters"]]
    assert len(ingest) == 1 and "tail_sampling" not in (ingest[0].get("processors") or [])
    assert ingest[0]["receivers"] == ["otlp"]
    # sampling tier: receives only from the load balancer, samples, then exports
    sampling = [p for p in pipes.values() if "otlp/sampling" in p["receivers"]]
    assert len(sampling) == 1
    assert sampling[0]["receivers"] == ["otlp/sampling"]
    assert "tail_sampling" in sampling[0]["processors"]
    assert "otlp/jaeger" in sampling[0]["exporters"]
    # nothing else is tail-sampled (tail sampling only works where whole traces meet)
    for pid, pipe in pipes.items():
        if pipe is not sampling[0]:
            assert "tail_sampling" not in (pipe.get("processors") or []), pid


@pytest.mark.parametrize("name", ["gateway", "single-node"])
def test_tail_sampling_policies(name):
    cfg = load_collector(name)
    policies = {p["name"]: p for p in cfg["processors"]["tail_sampling"]["policies"]}
    by_type = {p["type"]: p for p in policies.values()}
    assert set(by_type) == {"status_code", "latency", "ottl_condition", "probabilistic"}
    assert by_type["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert ENV_REF.fullmatch(by_type["latency"]["latency"]["threshold_ms"])
    assert ENV_REF.fullmatch(by_type["probabilistic"]["probabilistic"]["sampling_percentage"])
    (cond,) = by_type["ottl_condition"]["ottl_condition"]["span"]
    assert 'attributes["genai_otel.cost.usd"] >=' in cond
    assert env_refs(cond) and env_refs(cond)[0][0] == "TAIL_SAMPLING_COST_THRESHOLD_USD"
    resolved = resolved_collector(name)["processors"]["tail_sampling"]["policies"]
    pct = next(p for p in resolved if p["type"] == "probabilistic")["probabilistic"]["sampling_percentage"]
    assert 0 < float(pct) < 100


# --- message content never reaches Honeycomb ----------------------------------------------------


def _pipelines_feeding(cfg: dict, target: str) -> list[str]:
    """Names of all pipelines whose data can reach exporter `target` (following connectors)."""
    pipes = cfg["service"]["pipelines"]
    found, frontier = set(), {pid for pid, p in pipes.items() if target in p["exporters"]}
    while frontier:
        pid = frontier.pop()
        found.add(pid)
        for rid in pipes[pid]["receivers"]:
            if rid in (cfg.get("connectors") or {}):
                frontier |= {q for q, p in pipes.items() if rid in p["exporters"] and q not in found}
    return sorted(found)


@pytest.mark.parametrize("name", ["gateway", "single-node"])
def test_content_attributes_are_stripped_before_honeycomb(name):
    cfg = load_collector(name)
    strip = cfg["processors"]["transform/strip_genai_content"]
    assert strip["error_mode"] == "propagate"  # fail closed
    contexts = {s["context"]: s["statements"] for s in strip["trace_statements"]}
    assert set(contexts) == {"span", "spanevent"}
    for ctx, statements in contexts.items():
        deleted = {m.group(1) for s in statements if (m := re.fullmatch(r'delete_key\(attributes, "([^"]+)"\)', s))}
        assert deleted == set(CONTENT_ATTRIBUTES), f"{ctx}: {set(CONTENT_ATTRIBUTES) ^ deleted}"

    honeycomb = [e for e in cfg["exporters"] if e.startswith("otlphttp/honeycomb")]
    assert honeycomb == ["otlphttp/honeycomb"]
    pipes = cfg["service"]["pipelines"]
    direct = [pid for pid, p in pipes.items() if "otlphttp/honeycomb" in p["exporters"]]
    for pid in direct:
        assert "transform/strip_genai_content" in pipes[pid]["processors"], pid
        # the strip runs in the pipeline that exports, so no upstream path can bypass it
        assert pipes[pid]["exporters"] == ["otlphttp/honeycomb"], pid
    # Honeycomb only gets sampled traces: some upstream pipeline tail-samples
    upstream = _pipelines_feeding(cfg, "otlphttp/honeycomb")
    assert any("tail_sampling" in (pipes[p].get("processors") or []) for p in upstream), upstream
    # and the Jaeger path keeps content (no strip there)
    for p in pipes.values():
        if "otlp/jaeger" in p["exporters"]:
            assert "transform/strip_genai_content" not in (p.get("processors") or [])


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_logs_are_accepted_but_never_sent_to_saas(name):
    """The distro exports OTLP logs by default; log records can hold message content."""
    cfg = load_collector(name)
    logs = cfg["service"]["pipelines"]["logs"]
    assert logs["receivers"] == ["otlp"]
    for pid in _pipelines_feeding(cfg, "otlphttp/honeycomb"):
        assert component_type(pid) == "traces", pid
    if name != "agent":
        assert logs["exporters"] == ["debug/logs"]
        assert cfg["exporters"]["debug/logs"]["verbosity"] == "basic"  # counts only, never prints content


@pytest.mark.parametrize("name", ["gateway", "single-node"])
def test_honeycomb_exporter_headers(name):
    exp = load_collector(name)["exporters"]["otlphttp/honeycomb"]
    assert exp["headers"] == {
        "x-honeycomb-team": "${env:HONEYCOMB_API_KEY}",
        "x-honeycomb-dataset": "${env:HONEYCOMB_DATASET}",
    }
    assert ENV_REF.fullmatch(exp["endpoint"]).group("name") == "HONEYCOMB_OTLP_ENDPOINT"


@pytest.mark.parametrize("name", ["gateway", "single-node"])
def test_exporters_jaeger_prometheus(name):
    cfg = load_collector(name)
    assert ENV_REF.fullmatch(cfg["exporters"]["otlp/jaeger"]["endpoint"]).group("name") == "JAEGER_OTLP_ENDPOINT"
    assert listening_ports(name)["prometheus"] == 8889
    metrics = cfg["service"]["pipelines"]["metrics"]
    assert metrics["exporters"] == ["prometheus"]
    assert "signaltometrics" in metrics["receivers"]  # span-derived token sums (cache-hit ratio)


@pytest.mark.parametrize("name", ["gateway", "single-node"])
def test_token_sums_are_counted_before_sampling(name):
    cfg = load_collector(name)
    pipes = cfg["service"]["pipelines"]
    feeders = [p for p in pipes.values() if "signaltometrics" in p["exporters"]]
    assert feeders and all("tail_sampling" not in (p.get("processors") or []) for p in feeders)
    names = {m["name"] for m in cfg["connectors"]["signaltometrics"]["spans"]}
    assert names == {"genai_otel.span.usage.input_tokens", "genai_otel.span.usage.cache_read.input_tokens"}


# --- the three files agree ----------------------------------------------------------------------

SHARED = {
    "processors": ["memory_limiter", "batch", "tail_sampling", "transform/strip_genai_content", "deltatocumulative"],
    "connectors": ["signaltometrics", "forward/saas"],
    "exporters": ["otlp/jaeger", "otlphttp/honeycomb", "prometheus", "debug/logs"],
    "extensions": ["health_check"],
}


def test_gateway_and_single_node_share_settings():
    gw, single = load_collector("gateway"), load_collector("single-node")
    for kind, ids in SHARED.items():
        for cid in ids:
            assert gw[kind][cid] == single[kind][cid], f"{kind}.{cid} differs between gateway and single-node"
    assert gw["service"]["telemetry"] == single["service"]["telemetry"]


def test_agent_and_single_node_share_settings():
    agent, single = load_collector("agent"), load_collector("single-node")
    for cid in ("memory_limiter", "resourcedetection", "batch"):
        assert agent["processors"][cid] == single["processors"][cid], cid
    assert agent["receivers"]["otlp"] == single["receivers"]["otlp"]
    assert agent["service"]["telemetry"] == single["service"]["telemetry"]


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_files_state_the_pinned_release(name):
    assert f"otelcol-contrib {PINNED_RELEASE}" in COLLECTOR_CONFIGS[name].read_text()
