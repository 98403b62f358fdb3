"""Shared helpers for the collector-config tests: paths, loaders, ${env:...} expansion."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "collector-config"
PROM_DIR = CONFIG_DIR / "prometheus"
GRAFANA_DIR = CONFIG_DIR / "grafana"
K8S_DIR = CONFIG_DIR / "kubernetes"
DATA_DIR = Path(__file__).resolve().parent / "data"

COLLECTOR_CONFIGS = {
    "agent": CONFIG_DIR / "agent.yaml",
    "gateway": CONFIG_DIR / "gateway.yaml",
    "single-node": CONFIG_DIR / "single-node.yaml",
}

# The otelcol-contrib release every file in collector-config/ is written for.
PINNED_RELEASE = "0.136.0"
PINNED_IMAGE = f"otel/opentelemetry-collector-contrib:{PINNED_RELEASE}"

COMPONENT_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")

# Span attributes that carry message content (must never reach the SaaS exporter).
CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)

# ${env:NAME} or ${env:NAME:-default}; default may contain ':' (host:port, URLs) but not '}'.
ENV_REF = re.compile(r"\$\{env:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
ANY_REF = re.compile(r"\$\{[^}]*\}")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _parse(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def parse_yaml(text: str) -> Any:
    """yaml.safe_load with a cache (the same files are parsed by many tests); returns a fresh copy."""
    return copy.deepcopy(_parse(text))


def load_yaml(path: Path) -> Any:
    return parse_yaml(Path(path).read_text())


def load_collector(name: str) -> dict:
    return load_yaml(COLLECTOR_CONFIGS[name])


def load_components() -> dict:
    return load_yaml(DATA_DIR / "otelcol-contrib-components.yaml")


def component_type(component_id: str) -> str:
    """'otlp/jaeger' -> 'otlp' (the part before '/')."""
    return component_id.split("/", 1)[0]


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Yield (path, scalar) for every scalar in a YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))
    else:
        yield path, node


def env_refs(text: str) -> list[tuple[str, str | None]]:
    """All (NAME, default-or-None) ${env:...} references in a text."""
    return [(m.group("name"), m.group("default")) for m in ENV_REF.finditer(text)]


def expand_env(text: str, env: dict[str, str]) -> str:
    """Expand ${env:NAME[:-default]} like the collector's env provider (unset -> default or '')."""

    def repl(match: re.Match) -> str:
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        return default if default is not None else ""

    return ENV_REF.sub(repl, text)


def resolved_collector(name: str, env: dict[str, str] | None = None) -> dict:
    """The collector config with every ${env:...} replaced (defaults unless given in env)."""
    return parse_yaml(expand_env(COLLECTOR_CONFIGS[name].read_text(), env or {}))


def port_of(endpoint: str) -> int:
    """'0.0.0.0:4317' / 'host:4317' / 'https://x:443' -> port number."""
    return int(str(endpoint).rsplit(":", 1)[1].split("/")[0])


def listening_ports(name: str) -> dict[str, int]:
    """Resolved (default) listening ports of a collector config: {label: port}."""
    cfg = resolved_collector(name)
    ports: dict[str, int] = {}
    for rid, rcfg in (cfg.get("receivers") or {}).items():
        for proto, pcfg in ((rcfg or {}).get("protocols") or {}).items():
            ports[f"{rid}/{proto}"] = port_of(pcfg["endpoint"])
    for eid, ecfg in (cfg.get("exporters") or {}).items():
        if component_type(eid) == "prometheus":
            ports[eid] = port_of(ecfg["endpoint"])
    for xid, xcfg in (cfg.get("extensions") or {}).items():
        if xcfg and "endpoint" in xcfg:
            ports[xid] = port_of(xcfg["endpoint"])
    readers = cfg["service"]["telemetry"]["metrics"]["readers"]
    ports["telemetry"] = int(readers[0]["pull"]["exporter"]["prometheus"]["port"])
    return ports
