"""The genai-otel distro: picked up by ``opentelemetry-instrument`` through the ``opentelemetry_distro`` entry point.

It only sets defaults (``os.environ.setdefault``); anything the user set wins. The SDK set-up itself is the
configurator's job (``genai_otel.configurator``).
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

__all__ = ["GenAIOtelDistro"]


class GenAIOtelDistro(BaseDistro):  # type: ignore[misc]
    """Defaults: OTLP for traces, metrics and logs (the standard protocol default, grpc)."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault("OTEL_TRACES_EXPORTER", "otlp")
        os.environ.setdefault("OTEL_METRICS_EXPORTER", "otlp")
        os.environ.setdefault("OTEL_LOGS_EXPORTER", "otlp")
