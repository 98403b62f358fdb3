"""The genai-otel distro: picked up by ``opentelemetry-instrument`` through the ``opentelemetry_distro`` entry point.

It only sets defaults (``os.environ.setdefault``); anything the user set wins. The SDK set-up itself is the
configurator's job (``genai_otel.configurator``).

Two cases:

* **Nothing configured** (none of ``OTEL_TRACES_EXPORTER``, ``OTEL_METRICS_EXPORTER``, ``OTEL_LOGS_EXPORTER``,
  ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT``, ``OTEL_CONFIG_FILE``):
  GenAI calls go to the local store (``OTEL_TRACES_EXPORTER=genai_otel_local``), and metrics and logs are off
  (``none``): every figure the metrics would carry is in the stored calls, and there is no Collector to receive
  them. One line at start-up says where the file is and how to change that.
* **Anything configured**: standard OpenTelemetry, with OTLP as the default for each signal left unset. The local
  store is then used only when listed, e.g. ``OTEL_TRACES_EXPORTER=otlp,genai_otel_local``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

__all__ = ["CONFIGURING_VARIABLES", "GenAIOtelDistro", "Plan", "plan"]

_logger = logging.getLogger("genai_otel")

LOCAL_EXPORTER: Final = "genai_otel_local"
_EXPORTER_GROUP: Final = "opentelemetry_traces_exporter"
_SIGNAL_VARIABLES: Final = ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER")
CONFIGURING_VARIABLES: Final = (
    *_SIGNAL_VARIABLES,
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_CONFIG_FILE",
)
"""Setting any of these (to a non-blank value) means "the user configured telemetry": standard behaviour."""


@dataclass(frozen=True)
class Plan:
    """The exporter defaults the distro applies for a given environment."""

    local: bool
    """True when nothing is configured and the local store is the default."""
    defaults: Mapping[str, str]
    """The ``OTEL_*_EXPORTER`` values to ``setdefault``."""


def plan(environ: Mapping[str, str], local_available: bool = True) -> Plan:
    """What the distro does for ``environ``; ``local_available`` is False when our exporter is not registered."""
    configured = any(environ.get(name, "").strip() for name in CONFIGURING_VARIABLES)
    if configured or not local_available:
        return Plan(False, dict.fromkeys(_SIGNAL_VARIABLES, "otlp"))
    return Plan(True, {"OTEL_TRACES_EXPORTER": LOCAL_EXPORTER, "OTEL_METRICS_EXPORTER": "none",
                       "OTEL_LOGS_EXPORTER": "none"})


def _local_exporter_registered() -> bool:
    from importlib.metadata import entry_points  # noqa: PLC0415 - only at start-up

    return any(True for _ in entry_points(group=_EXPORTER_GROUP, name=LOCAL_EXPORTER))


def apply(environ: MutableMapping[str, str]) -> Plan:
    """Apply the defaults to ``environ`` and announce the local store when it is chosen."""
    nothing_set = not any(environ.get(name, "").strip() for name in CONFIGURING_VARIABLES)
    available = _local_exporter_registered() if nothing_set else True
    chosen = plan(environ, local_available=available)
    if nothing_set and not available:
        _logger.warning("genai-otel: the %r traces exporter is not registered (an incomplete installation?); "
                        "exporting over OTLP as standard OpenTelemetry does", LOCAL_EXPORTER)
    for name, value in chosen.defaults.items():
        environ.setdefault(name, value)
    if chosen.local:
        from genai_otel.localstore.store import store_path  # noqa: PLC0415

        _logger.warning(
            "genai-otel: no OpenTelemetry exporter or endpoint is configured, so GenAI calls are recorded in the "
            "local store %s (see them with `genai-otel report`). Set GENAI_OTEL_LOCAL_STORE_PATH to use another "
            "file, or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER to export as standard OpenTelemetry.",
            store_path(),
        )
    return chosen


class GenAIOtelDistro(BaseDistro):  # type: ignore[misc]
    """Defaults: the local store when nothing is configured, else OTLP for traces, metrics and logs; and, unless
    ``GENAI_OTEL_OTHER_INSTRUMENTATIONS=allow``, other GenAI instrumentations of our SDKs are not loaded."""

    def _configure(self, **kwargs: Any) -> None:
        try:
            apply(os.environ)
        except Exception as exc:  # noqa: BLE001 - the app must start whatever happens here
            from genai_otel.genai._safety import internal_error  # noqa: PLC0415

            for name in _SIGNAL_VARIABLES:
                os.environ.setdefault(name, "otlp")
            internal_error("distro.configure", exc)

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """Load an instrumentor, except another GenAI instrumentation of an SDK we instrument (``genai_otel._others``:
        ``GENAI_OTEL_OTHER_INSTRUMENTATIONS=suppress``, the default), so each call has one GenAI span."""
        try:
            from genai_otel._others import to_skip  # noqa: PLC0415 - only at start-up

            skip = to_skip(entry_point, os.environ) is not None
        except Exception as exc:  # noqa: BLE001 - if in doubt, load it as any distro would
            from genai_otel.genai._safety import internal_error  # noqa: PLC0415

            skip = False
            internal_error("distro.others", exc)
        if not skip:
            super().load_instrumentor(entry_point, **kwargs)
