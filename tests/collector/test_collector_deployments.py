"""docker-compose.yaml and kubernetes/ reference the same config files, ports and variables as the
tested collector configs. (Neither can be started in CI: no Docker engine, no cluster.)"""

from __future__ import annotations

import importlib.util
import re

import pytest
from collector_cfg import (
    COLLECTOR_CONFIGS,
    CONFIG_DIR,
    GRAFANA_DIR,
    K8S_DIR,
    PINNED_IMAGE,
    PINNED_RELEASE,
    PROM_DIR,
    env_refs,
    listening_ports,
    load_yaml,
    parse_yaml,
    resolved_collector,
)

# env vars a container may set that the collector config does not reference itself
EXTRA_ENV = {"OTEL_RESOURCE_ATTRIBUTES", "K8S_NODE_NAME", "GOMEMLIMIT"}
COMPOSE_COLLECTORS = {"otelcol": "single-node", "otel-agent": "agent", "otel-gateway": "gateway"}
K8S_COLLECTORS = {"otel-agent": "agent", "otel-gateway": "gateway"}


def config_env_vars(name: str) -> set[str]:
    return {var for var, _ in env_refs(COLLECTOR_CONFIGS[name].read_text())}


# --- docker compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(CONFIG_DIR / "docker-compose.yaml")


def _container_ports(service: dict) -> set[int]:
    ports = {int(str(p).split(":")[-1].split("/")[0]) for p in service.get("ports") or []}
    return ports | {int(str(p)) for p in service.get("expose") or []}


@pytest.mark.parametrize("service,config", sorted(COMPOSE_COLLECTORS.items()))
def test_compose_collector_mounts_the_tested_config(compose, service, config):
    svc = compose["services"][service]
    assert svc["image"] == PINNED_IMAGE
    mounts = [v.split(":") for v in svc["volumes"]]
    assert [m[:2] for m in mounts] == [[f"./{COLLECTOR_CONFIGS[config].name}", "/etc/otelcol-contrib/config.yaml"]]
    assert svc["command"] == ["--config=/etc/otelcol-contrib/config.yaml"]


@pytest.mark.parametrize("service,config", sorted(COMPOSE_COLLECTORS.items()))
def test_compose_ports_match_the_config(compose, service, config):
    assert _container_ports(compose["services"][service]) == set(listening_ports(config).values())


@pytest.mark.parametrize("service,config", sorted(COMPOSE_COLLECTORS.items()))
def test_compose_env_vars_exist_in_the_config(compose, service, config):
    env = compose["services"][service].get("environment") or {}
    assert set(env) <= config_env_vars(config) | EXTRA_ENV, set(env) - config_env_vars(config)


def test_compose_wiring_between_services(compose):
    services = compose["services"]
    gw_ports = listening_ports("gateway")
    host, port = services["otel-agent"]["environment"]["GATEWAY_OTLP_ENDPOINT"].split(":")
    assert host == "otel-gateway" and int(port) == gw_ports["otlp/grpc"]
    gw_env = services["otel-gateway"]["environment"]
    assert gw_env["GATEWAY_SAMPLING_DNS_NAME"] == "otel-gateway"  # Docker DNS -> every replica
    assert int(resolved_collector("gateway")["exporters"]["loadbalancing"]["resolver"]["dns"]["port"]) \
        == gw_ports["otlp/sampling/grpc"]
    for svc in ("otelcol", "otel-gateway"):
        jaeger_host, jaeger_port = services[svc]["environment"]["JAEGER_OTLP_ENDPOINT"].split(":")
        assert jaeger_host in services and jaeger_port in map(str, services[jaeger_host]["expose"])


def test_compose_secrets_are_interpolated_not_literal(compose):
    for name, svc in compose["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search(r"KEY|TOKEN|PASSWORD|SECRET", key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:[-?][^}]*)?\}", str(value)), f"{name}.{key}={value!r}"
                assert not re.fullmatch(r"\$\{[A-Z_]+:-.+\}", str(value)), f"{name}.{key} has a literal default"


def test_compose_images_are_pinned(compose):
    for name, svc in compose["services"].items():
        image = svc["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"


def test_compose_prometheus_and_grafana_mount_our_files(compose):
    prom = compose["services"]["prometheus"]
    assert "./prometheus:/etc/prometheus:ro" in prom["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prom["command"]
    grafana = compose["services"]["grafana"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    provider = load_yaml(GRAFANA_DIR / "provisioning/dashboards/dashboards.yaml")["providers"][0]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]
    datasource = load_yaml(GRAFANA_DIR / "provisioning/datasources/datasources.yaml")["datasources"]
    urls = {d["type"]: d["url"] for d in datasource}
    assert urls["prometheus"] == "http://prometheus:9090" and "9090:9090" in prom["ports"]
    assert urls["jaeger"] == "http://jaeger:16686"


def test_prometheus_scrapes_the_compose_collectors(compose):
    prom = load_yaml(PROM_DIR / "prometheus.yml")
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    exporter = jobs["otel-collector"]["dns_sd_configs"][0]
    assert set(exporter["names"]) == {"otelcol", "otel-gateway"} <= set(compose["services"])
    assert exporter["port"] == listening_ports("gateway")["prometheus"] == listening_ports("single-node")["prometheus"]
    internal = jobs["otel-collector-internal"]["dns_sd_configs"][0]
    assert set(internal["names"]) == set(COMPOSE_COLLECTORS)
    assert all(internal["port"] == listening_ports(c)["telemetry"] for c in COMPOSE_COLLECTORS.values())
    assert jobs["otel-collector"].get("honor_labels", False) is False


# --- kubernetes -----------------------------------------------------------------------------------


def _k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        text = path.read_text()
        parts = (parse_yaml(part) for part in re.split(r"^---\s*$", text, flags=re.M))
        docs += [d for d in parts if d and "metadata" in d]
    return docs


@pytest.fixture(scope="module")
def k8s() -> dict:
    return {(d["kind"], d["metadata"]["name"]): d for d in _k8s_docs()}


def test_configmaps_are_generated_from_the_config_files(k8s):
    spec = importlib.util.spec_from_file_location("render_configmaps", K8S_DIR / "render_configmaps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (K8S_DIR / "configmaps.yaml").read_text() == module.render(), \
        "configmaps.yaml is stale: run python collector-config/kubernetes/render_configmaps.py"
    assert k8s[("ConfigMap", "otel-agent-config")]["data"]["agent.yaml"] == COLLECTOR_CONFIGS["agent"].read_text()
    assert k8s[("ConfigMap", "otel-gateway-config")]["data"]["gateway.yaml"] == COLLECTOR_CONFIGS["gateway"].read_text()


def _workload(k8s: dict, name: str) -> dict:
    kind = "DaemonSet" if name == "otel-agent" else "Deployment"
    return k8s[(kind, name)]


@pytest.mark.parametrize("workload,config", sorted(K8S_COLLECTORS.items()))
def test_k8s_workload_mounts_its_configmap(k8s, workload, config):
    pod = _workload(k8s, workload)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == PINNED_IMAGE
    (mount,) = container["volumeMounts"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    configmap = k8s[("ConfigMap", volume["configMap"]["name"])]
    key = COLLECTOR_CONFIGS[config].name
    assert key in configmap["data"]
    assert container["args"] == [f"--config={mount['mountPath']}/{key}"]


@pytest.mark.parametrize("workload,config", sorted(K8S_COLLECTORS.items()))
def test_k8s_container_ports_match_the_config(k8s, workload, config):
    (container,) = _workload(k8s, workload)["spec"]["template"]["spec"]["containers"]
    assert {p["containerPort"] for p in container["ports"]} == set(listening_ports(config).values())
    health = {p["name"]: p["containerPort"] for p in container["ports"]}["health"]
    assert health == listening_ports(config)["health_check"]
    assert container["livenessProbe"]["httpGet"]["port"] == "health"


@pytest.mark.parametrize("workload,config", sorted(K8S_COLLECTORS.items()))
def test_k8s_env_vars_exist_in_the_config(k8s, workload, config):
    (container,) = _workload(k8s, workload)["spec"]["template"]["spec"]["containers"]
    names = {e["name"] for e in container["env"]}
    assert names <= config_env_vars(config) | EXTRA_ENV, names - config_env_vars(config)
    for env in container["env"]:
        if re.search(r"KEY|TOKEN|PASSWORD|SECRET", env["name"]):
            assert "value" not in env and "secretKeyRef" in env["valueFrom"], env["name"]


def test_k8s_services_match_the_gateway_tiers(k8s):
    ports = listening_ports("gateway")
    ingest = k8s[("Service", "otel-gateway")]["spec"]
    assert ingest.get("clusterIP") != "None"  # normal Service: agents keep one sticky connection
    assert {p["port"] for p in ingest["ports"]} == {ports["otlp/grpc"], ports["otlp/http"]}
    sampling = k8s[("Service", "otel-gateway-sampling")]["spec"]
    assert sampling["clusterIP"] == "None"  # headless: DNS lists every replica for the load balancer
    assert ports["otlp/sampling/grpc"] in {p["port"] for p in sampling["ports"]}

    gw_container = _workload(k8s, "otel-gateway")["spec"]["template"]["spec"]["containers"][0]
    gw_env = {e["name"]: e.get("value") for e in gw_container["env"]}
    assert gw_env["GATEWAY_SAMPLING_DNS_NAME"].startswith("otel-gateway-sampling.observability.")
    agent_container = _workload(k8s, "otel-agent")["spec"]["template"]["spec"]["containers"][0]
    agent_env = {e["name"]: e.get("value") for e in agent_container["env"]}
    assert agent_env["GATEWAY_OTLP_ENDPOINT"] == f"otel-gateway.observability.svc.cluster.local:{ports['otlp/grpc']}"
    for svc in ("otel-gateway", "otel-gateway-sampling"):
        selector = _workload(k8s, "otel-gateway")["spec"]["selector"]["matchLabels"]
        assert k8s[("Service", svc)]["spec"]["selector"] == selector


def test_k8s_agent_host_ports_and_app_env(k8s):
    (container,) = _workload(k8s, "otel-agent")["spec"]["template"]["spec"]["containers"]
    host_ports = {p["hostPort"] for p in container["ports"] if "hostPort" in p}
    agent = listening_ports("agent")
    assert host_ports == {agent["otlp/grpc"], agent["otlp/http"]}
    app = k8s[("Deployment", "my-llm-app")]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://$(HOST_IP):{agent['otlp/grpc']}"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"


def test_kustomization_lists_existing_manifests():
    kustomization = load_yaml(K8S_DIR / "kustomization.yaml")
    for resource in kustomization["resources"]:
        assert (K8S_DIR / resource).is_file(), resource
    assert "configmaps.yaml" in kustomization["resources"]


def test_readme_states_release_and_that_ci_cannot_run_them():
    readme = (CONFIG_DIR / "README.md").read_text()
    assert PINNED_RELEASE in readme and PINNED_IMAGE in readme
    assert "no Docker" in readme and "cluster" in readme
