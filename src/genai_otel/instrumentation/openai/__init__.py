"""OpenAI instrumentation for genai-otel.

Every ``openai`` SDK call listed in the adapter's patch targets becomes one CLIENT span named
``chat {gen_ai.request.model}`` and the GenAI client metrics (semantic conventions v1.41.1). Loaded automatically by
``opentelemetry-instrument`` through the ``opentelemetry_instrumentor`` entry point ``genai_otel_openai``; or by hand::

    from genai_otel.instrumentation.openai import OpenAIInstrumentor
    OpenAIInstrumentor().instrument()        # tracer_provider=..., meter_provider=... optional
    OpenAIInstrumentor().uninstrument()      # restores the SDK exactly

Patching happens when ``openai`` is imported, so instrumenting first and importing later works too.
"""

from __future__ import annotations

from genai_otel.instrumentation._base import Adapter, GenAIInstrumentor
from genai_otel.instrumentation.openai.adapter import OpenAIAdapter
from genai_otel.instrumentation.openai.package import _instruments

__all__ = ["OpenAIInstrumentor"]


class OpenAIInstrumentor(GenAIInstrumentor):
    """Instruments the ``openai`` SDK (chat completions: create, parse, stream, raw and streaming responses)."""

    _instruments = _instruments

    def _adapter(self) -> Adapter:
        return OpenAIAdapter()
