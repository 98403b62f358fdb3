"""``genai-otel doctor``: what an app run under ``opentelemetry-instrument`` here would get, and what needs fixing.

::

    genai-otel doctor [--json] [--timeout SECONDS] [--store PATH]

* **SDKs**: each LLM SDK genai-otel instruments: installed version, and whether it would be instrumented (supported
  version range, ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``).
* **Exporters**: the traces, metrics and logs exporters in effect with this environment (the distro's defaults
  applied: the local store when nothing is configured), each OTLP endpoint, and whether it accepts a connection.
* **Local store**: path, size, calls, oldest and newest, integrity, retention.
* **Models without a price**: models of stored calls that used tokens but got no cost.

Exit status: 0 when nothing needs attention, 1 when something does (lines marked ``!``: an OTLP endpoint that does
not answer, a corrupt store, an SDK outside the supported range), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from genai_otel import distro
from genai_otel.cli import _common as common
from genai_otel.cli._common import EXIT_OK, EXIT_STORE
from genai_otel.localstore.query import StoreError, StoreMissing, open_store
from genai_otel.localstore.store import read_retention
from genai_otel.version import __version__

__all__ = ["diagnose", "register", "run"]

_SIGNALS: Final = ("traces", "metrics", "logs")
_OTLP_NAMES: Final = {"otlp": None, "otlp_proto_grpc": "grpc", "otlp_proto_http": "http/protobuf"}
_DEFAULT_ENDPOINTS: Final = {"grpc": "http://localhost:4317", "http/protobuf": "http://localhost:4318"}


def register(subparsers: Any) -> None:
    """Add the ``doctor`` subcommand (see :mod:`genai_otel.cli`)."""
    parser = subparsers.add_parser(
        "doctor", help="SDKs, exporters and endpoints in effect, the local store, models without a price",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Exit status: 0 all good, 1 something needs attention (marked !), 2 bad arguments.",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--timeout", type=_seconds, default=1.0, metavar="SECONDS",
                        help="how long to wait for each endpoint to accept a connection (default 1)")
    common.add_store_argument(parser)
    parser.set_defaults(handler=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 60: {text!r}")
    return value


# --- SDKs ---------------------------------------------------------------------------------------------------------


def _sdks(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    from opentelemetry.instrumentation.dependencies import get_dependency_conflicts  # noqa: PLC0415
    from packaging.requirements import Requirement  # noqa: PLC0415

    disabled = {name.strip() for name in environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    found = []
    for entry_point in sorted(entry_points(group="opentelemetry_instrumentor"), key=lambda ep: ep.name):
        if not entry_point.value.startswith("genai_otel."):
            continue
        item: dict[str, Any] = {"instrumentor": entry_point.name}
        try:
            requirements = list(entry_point.load()().instrumentation_dependencies())
        except Exception as exc:  # noqa: BLE001 - a broken instrumentor is a finding, not a crash
            found.append({**item, "status": "broken", "problem": True, "detail": f"cannot load: {exc!r}"})
            continue
        package = Requirement(requirements[0]).name if requirements else entry_point.name
        try:
            installed: str | None = version(package)
        except PackageNotFoundError:
            installed = None
        item.update(package=package, version=installed, supported=", ".join(requirements))
        conflict = get_dependency_conflicts(requirements)
        if installed is None:
            item.update(status="not installed", problem=False)
        elif conflict is not None:
            item.update(status="not instrumented: version outside the supported range", problem=True)
        elif "*" in disabled or entry_point.name in disabled:
            item.update(status="disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", problem=False)
        else:
            item.update(status="instrumented", problem=False)
        found.append(item)
    return found


# --- exporters and endpoints --------------------------------------------------------------------------------------


def _local_registered() -> bool:
    return any(True for _ in entry_points(group="opentelemetry_traces_exporter", name=distro.LOCAL_EXPORTER))


def _otlp_endpoint(signal: str, name: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """(protocol, endpoint URL) the SDK's OTLP exporter for ``signal`` would use."""
    upper = signal.upper()
    protocol = _OTLP_NAMES[name] or (environ.get(f"OTEL_EXPORTER_OTLP_{upper}_PROTOCOL", "").strip()
                                     or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip() or "grpc")
    specific = environ.get(f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT", "").strip()
    if specific:
        return protocol, specific
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or _DEFAULT_ENDPOINTS.get(protocol, "")
    if protocol == "http/protobuf" and base:
        return protocol, base.rstrip("/") + f"/v1/{signal}"
    return protocol, base


def _reachable(endpoint: str, timeout: float) -> tuple[bool, str]:
    target = endpoint if "://" in endpoint else f"http://{endpoint}"
    parts = urlsplit(target)
    host = parts.hostname
    if not host:
        return False, "not a URL"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False, "bad port"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, f"{host}:{port} accepts connections"
    except OSError as exc:
        return False, f"{host}:{port}: {exc.strerror or exc}"


def _exporters(environ: Mapping[str, str], timeout: float) -> dict[str, Any]:
    registered = _local_registered()
    nothing_set = not any(environ.get(name, "").strip() for name in distro.CONFIGURING_VARIABLES)
    chosen = distro.plan(environ, local_available=registered)
    signals: dict[str, Any] = {}
    checked: dict[str, tuple[bool, str]] = {}
    for signal in _SIGNALS:
        variable = f"OTEL_{signal.upper()}_EXPORTER"
        raw = environ.get(variable, "").strip() or chosen.defaults[variable]
        names = [] if raw.lower() == "none" else [name.strip() for name in raw.split(",") if name.strip()]
        exporters = []
        for name in names:
            item: dict[str, Any] = {"name": name, "problem": False}
            if name in _OTLP_NAMES:
                protocol, endpoint = _otlp_endpoint(signal, name, environ)
                if endpoint not in checked:
                    checked[endpoint] = _reachable(endpoint, timeout)
                answers, detail = checked[endpoint]
                item.update(protocol=protocol, endpoint=endpoint, answers=answers, detail=detail,
                            problem=not answers)
            elif name == distro.LOCAL_EXPORTER:
                item.update(detail="the local store" if registered else "not registered (incomplete installation)",
                            problem=not registered)
            exporters.append(item)
        signals[signal] = {"variable": variable, "value": raw, "from": "environment" if environ.get(
            variable, "").strip() else "genai-otel default", "exporters": exporters}
    return {"local_default": chosen.local, "nothing_configured": nothing_set, "signals": signals}


# --- the store ----------------------------------------------------------------------------------------------------


def _store(path: Path, in_effect: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data: dict[str, Any] = {"path": str(path), "in_effect": in_effect, "retention": read_retention().describe(),
                            "exists": False, "problem": False}
    try:
        with open_store(path) as reader:
            info = reader.info()
            integrity = reader.integrity()
            unpriced = reader.unpriced_models()
    except StoreMissing:
        data["detail"] = "not created yet (it appears with the first exported call)"
        return data, []
    except StoreError as exc:
        data.update(exists=True, problem=True, detail=str(exc))
        return data, []
    data.update(exists=True, size_bytes=info.size_bytes, calls=info.rows, integrity=integrity,
                oldest=common.iso(info.oldest_ns) if info.oldest_ns is not None else None,
                newest=common.iso(info.newest_ns) if info.newest_ns is not None else None,
                problem=integrity != "ok")
    return data, [{"provider": provider, "model": model, "calls": calls} for provider, model, calls in unpriced]


def diagnose(environ: Mapping[str, str], store: Path, timeout: float) -> dict[str, Any]:
    """Every finding, as plain data (what ``--json`` prints)."""
    exporters = _exporters(environ, timeout)
    traces = exporters["signals"]["traces"]["exporters"]
    store_data, unpriced = _store(store, any(item["name"] == distro.LOCAL_EXPORTER for item in traces))
    sdks = _sdks(environ)
    problem = (any(item["problem"] for item in sdks) or store_data["problem"]
               or any(item["problem"] for s in exporters["signals"].values() for item in s["exporters"]))
    return {
        "genai_otel": __version__, "python": platform.python_version(), "opentelemetry_sdk": _version_of(
            "opentelemetry-sdk"), "sdks": sdks, "exporters": exporters, "store": store_data,
        "models_without_price": unpriced, "needs_attention": problem,
    }


def _version_of(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def run(args: argparse.Namespace) -> int:
    findings = diagnose(os.environ, common.resolve_store(args), args.timeout)
    common.out(json.dumps(findings, indent=2) if args.json else _text(findings))
    return EXIT_STORE if findings["needs_attention"] else EXIT_OK


def _mark(problem: bool) -> str:
    return "! " if problem else "  "


def _text(findings: dict[str, Any]) -> str:
    lines = [f"genai-otel {findings['genai_otel']} (Python {findings['python']}, opentelemetry-sdk "
             f"{findings['opentelemetry_sdk'] or 'not installed'})", "", "SDKs:"]
    for sdk in findings["sdks"]:
        installed = f"{sdk.get('package', '?')} {sdk.get('version') or ''}".rstrip()
        supported = f" (supported: {sdk['supported']})" if sdk.get("supported") else ""
        lines.append(f"{_mark(sdk['problem'])}{installed}: {sdk['status']}{supported}"
                     + (f" - {sdk['detail']}" if sdk.get("detail") else ""))
    exporters = findings["exporters"]
    lines += ["", "Exporters:"]
    if exporters["local_default"]:
        lines.append("  nothing configured: traces go to the local store; metrics and logs are off "
                     "(set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_*_EXPORTER to export as standard OpenTelemetry)")
    for signal, data in exporters["signals"].items():
        lines.append(f"  {signal}: {data['variable']}={data['value']} ({data['from']})")
        for item in data["exporters"]:
            if "endpoint" in item:
                state = "answers" if item["answers"] else "does not answer"
                lines.append(f"{_mark(item['problem'])}  {item['name']} {item['protocol']} {item['endpoint']}: "
                             f"{state} ({item['detail']})")
            elif "detail" in item:
                lines.append(f"{_mark(item['problem'])}  {item['name']}: {item['detail']}")
    store = findings["store"]
    lines += ["", "Local store:" + ("" if store["in_effect"] else " (not in effect: traces go elsewhere)"),
              f"  path: {store['path']}", f"  retention: {store['retention']}"]
    if not store["exists"] or "detail" in store:
        lines.append(f"{_mark(store['problem'])}{store.get('detail', '')}")
    else:
        lines += [f"  size: {store['size_bytes']:,} bytes", f"  calls: {store['calls']:,}",
                  f"  oldest: {store['oldest'] or '-'}", f"  newest: {store['newest'] or '-'}",
                  f"{_mark(store['problem'])}integrity: {store['integrity']}"]
    lines += ["", "Models without a price:"]
    if findings["models_without_price"]:
        lines += [f"  {item['provider'] or '-'} {item['model'] or '-'}: {item['calls']:,} calls"
                  for item in findings["models_without_price"]]
        lines.append("  (add them with GENAI_OTEL_PRICES_FILE; `genai-otel prices --check FILE` validates one)")
    else:
        lines.append("  none" if store["exists"] else "  - (no store)")
    lines += ["", "Needs attention (lines marked !)." if findings["needs_attention"] else "All good."]
    return "\n".join(lines)
