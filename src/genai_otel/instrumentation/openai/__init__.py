"""OpenAI instrumentation for genai-otel.

Every ``openai`` SDK call listed in the adapter's patch targets becomes one CLIENT span and the GenAI client metrics
(semantic conventions v1.41.1):

=====================================================  =====================================================
call                                                   span
=====================================================  =====================================================
``chat.completions.create`` / ``.parse`` / ``.stream``  ``chat {model}``, ``openai.api.type=chat_completions``
``responses.create`` / ``.parse`` / ``.stream``         ``chat {model}``, ``openai.api.type=responses``
``responses.retrieve`` (and ``.stream(response_id=)``)  ``fetch_response`` (no token usage)
``embeddings.create``                                   ``embeddings {model}``
``completions.create`` (legacy)                         ``text_completion {model}``
=====================================================  =====================================================

Sync and async, plain, streamed, ``with_raw_response`` and ``with_streaming_response``. ``gen_ai.provider.name``
comes from one table (``providers``: Azure clients and hosts, OpenAI-compatible hosts; ``GENAI_OTEL_PROVIDER_HOSTS``
adds hosts). Streamed chat and completions get token counts even when the caller did not ask for them, without the
caller seeing a difference (``_stream_usage``; ``GENAI_OTEL_OPENAI_STREAM_USAGE=auto|always|never``). Loaded
automatically by
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
    """Instruments the ``openai`` SDK: chat completions, Responses, embeddings, legacy completions."""

    _instruments = _instruments

    def _adapter(self) -> Adapter:
        return OpenAIAdapter()
