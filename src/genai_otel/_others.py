"""Other instrumentations of the SDKs genai-otel instruments: one GenAI span per call under opentelemetry-instrument.

``opentelemetry-instrument`` loads every installed ``opentelemetry_instrumentor`` entry point. Next to genai-otel,
these would each put a GenAI span of their own on the same call:

=================================================  ==========  ===============================================
distribution (project)                             SDK         module of its entry point
=================================================  ==========  ===============================================
``opentelemetry-instrumentation-openai-v2`` (OTel)  openai     ``opentelemetry.instrumentation.openai_v2``
``opentelemetry-instrumentation-genai-openai``      openai     ``opentelemetry.instrumentation.genai.openai``
``opentelemetry-instrumentation-genai-anthropic``   anthropic  ``opentelemetry.instrumentation.genai.anthropic``
``opentelemetry-instrumentation-openai`` (Traceloop) openai    ``opentelemetry.instrumentation.openai``
``opentelemetry-instrumentation-anthropic`` (")     anthropic  ``opentelemetry.instrumentation.anthropic``
``openinference-instrumentation-openai``            openai     ``openinference.instrumentation.openai``
``openinference-instrumentation-anthropic``         anthropic  ``openinference.instrumentation.anthropic``
=================================================  ==========  ===============================================

With ``GENAI_OTEL_OTHER_INSTRUMENTATIONS=suppress`` (the default) our distro does not load them while genai-otel's
own instrumentor for that SDK is enabled (one INFO log line each). ``allow`` loads them as usual. To have only
theirs, set ``allow`` and disable ours with ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=genai_otel_openai`` (or
``genai_otel_anthropic``): ours being disabled, theirs is never suppressed for that SDK. The anthropic SDK's own
spans are handled by the Anthropic instrumentor (``GENAI_OTEL_ANTHROPIC_NATIVE_SPANS``).

This works where our distro loads the instrumentors: ``opentelemetry-instrument`` with genai-otel's distro (the
default when it is the only distro installed, else ``OTEL_PYTHON_DISTRO=genai_otel``). Instrumentors started in code
are the application's own choice and are left alone; the standard ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=openai``
skips theirs (they are all named ``openai`` / ``anthropic``) with any distro.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genai_otel._settings import read_choice
from genai_otel.environment_variables import GENAI_OTEL_OTHER_INSTRUMENTATIONS

__all__ = ["KNOWN", "OURS", "OtherInstrumentation", "to_skip"]

_logger = logging.getLogger("genai_otel")

SUPPRESS = "suppress"
ALLOW = "allow"


@dataclass(frozen=True)
class OtherInstrumentation:
    distribution: str
    sdk: str
    module: str


KNOWN: tuple[OtherInstrumentation, ...] = (
    OtherInstrumentation("opentelemetry-instrumentation-openai-v2", "openai",
                         "opentelemetry.instrumentation.openai_v2"),
    OtherInstrumentation("opentelemetry-instrumentation-genai-openai", "openai",
                         "opentelemetry.instrumentation.genai.openai"),
    OtherInstrumentation("opentelemetry-instrumentation-genai-anthropic", "anthropic",
                         "opentelemetry.instrumentation.genai.anthropic"),
    OtherInstrumentation("opentelemetry-instrumentation-openai", "openai", "opentelemetry.instrumentation.openai"),
    OtherInstrumentation("opentelemetry-instrumentation-anthropic", "anthropic",
                         "opentelemetry.instrumentation.anthropic"),
    OtherInstrumentation("openinference-instrumentation-openai", "openai", "openinference.instrumentation.openai"),
    OtherInstrumentation("openinference-instrumentation-anthropic", "anthropic",
                         "openinference.instrumentation.anthropic"),
)

OURS: Mapping[str, str] = {"openai": "genai_otel_openai", "anthropic": "genai_otel_anthropic"}
"""Our entry point name per SDK."""


def _identify(entry_point: Any) -> OtherInstrumentation | None:
    module = str(getattr(entry_point, "value", "")).partition(":")[0].strip()
    for other in KNOWN:
        if module == other.module or module.startswith(other.module + "."):
            return other
    return None


def to_skip(entry_point: Any, environ: Mapping[str, str]) -> OtherInstrumentation | None:
    """The other instrumentation ``entry_point`` is, when opentelemetry-instrument should not load it; else None."""
    other = _identify(entry_point)
    if other is None:
        return None
    if read_choice(GENAI_OTEL_OTHER_INSTRUMENTATIONS, (SUPPRESS, ALLOW), SUPPRESS) == ALLOW:
        return None
    disabled = {name.strip() for name in environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    if OURS[other.sdk] in disabled:
        return None
    _logger.info("genai-otel: not loading %s (entry point %r): genai-otel records the %s calls' GenAI spans; set "
                 "%s=allow to load it too", other.distribution, getattr(entry_point, "name", "?"), other.sdk,
                 GENAI_OTEL_OTHER_INSTRUMENTATIONS)
    return other
