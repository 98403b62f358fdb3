"""Anthropic instrumentation for genai-otel.

Every Anthropic Messages call becomes one CLIENT span named ``chat {gen_ai.request.model}`` plus the GenAI client
metrics (semantic conventions v1.41.1 and their Anthropic page). Loaded automatically by ``opentelemetry-instrument``
through the ``opentelemetry_instrumentor`` entry point ``genai_otel_anthropic``; or by hand::

    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
    AnthropicInstrumentor().instrument()      # tracer_provider=..., meter_provider=..., native_spans=... optional
    AnthropicInstrumentor().uninstrument()    # restores the SDK exactly

Patching happens when ``anthropic`` is imported, so instrumenting first and importing later works too. Supported:
anthropic 0.40 to 2.x.

What is covered
    ``messages.create`` (sync and async, plain or ``stream=True``), ``messages.parse``, the ``messages.stream(...)``
    helper (``text_stream``, ``get_final_message()``, ``until_done()``, leaving it early), ``with_raw_response`` and
    ``with_streaming_response``, the same under ``beta.messages``, and ``Anthropic``, ``AnthropicBedrock``
    (``gen_ai.provider.name`` ``aws.bedrock``) and ``AnthropicVertex`` (``gcp.vertex_ai``) clients, with the host they
    talk to as ``server.address``. SDK helpers built on these (tool runners) get one span per request they send.
    A ``stream(...)`` helper's span starts when the manager is entered (when the request is sent); a manager never
    entered sends nothing and records nothing. On anthropic 0.40-0.44 the helper re-reads the response past
    genai-otel, so its span ends when the helper closes the response and carries request data only.

Attributes
    ``gen_ai.request.model`` / ``max_tokens`` / ``temperature`` / ``top_p`` / ``top_k`` / ``stop_sequences``
    (also when passed through ``extra_body``), ``gen_ai.output.type`` ``json`` for structured output, the response
    id and model, ``gen_ai.response.finish_reasons`` in the vocabulary shared with the OpenAI instrumentation
    (``end_turn`` and ``stop_sequence`` -> ``stop``, ``max_tokens`` -> ``length``, ``tool_use`` -> ``tool_call``,
    ``refusal`` -> ``content_filter``, others as sent), and token usage: ``gen_ai.usage.input_tokens`` is
    ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens`` as the conventions require, with the
    two cache counts also as ``gen_ai.usage.cache_read.input_tokens`` / ``gen_ai.usage.cache_creation.input_tokens``.
    On streams the output tokens are the final ``message_delta`` count; streams also record time to first chunk
    and time per output chunk, and how they ended (``genai_otel.stream.ending``). Cache writes with a 1-hour TTL
    are counted in ``genai_otel.usage.cache_creation_1h.input_tokens`` so the cost uses their own rate.

The SDK's own spans
    anthropic >= 1.14 emits a span of its own for each call when a global TracerProvider is set (scope
    ``com.anthropic.sdk.python``). By default genai-otel keeps exactly one GenAI span per call, its own: while an
    instrumented call runs, the SDK's span records nothing, while the SDK still propagates the trace context.
    Calls genai-otel does not instrument (files, models, batches, ``count_tokens``) keep the SDK's spans.

    To have the SDK's native span instead, set ``GENAI_OTEL_ANTHROPIC_NATIVE_SPANS=true`` (or call
    ``instrument(native_spans=True)``). genai-otel then emits no span for Anthropic calls, the SDK's span is
    a child of the caller's span, and genai-otel still records the GenAI metrics. The SDK sends its span to the
    global TracerProvider (or to the one in the client's ``open_telemetry`` option). With an SDK that has no spans
    of its own (anthropic < 1.14), genai-otel keeps its own and logs a warning.
"""

from __future__ import annotations

from typing import Any

from genai_otel._settings import read_bool
from genai_otel.instrumentation._base import Adapter, GenAIInstrumentor
from genai_otel.instrumentation.anthropic._sdk_spans import NATIVE_SPANS_ENV, SdkSpans
from genai_otel.instrumentation.anthropic._stream_types import StreamTypes
from genai_otel.instrumentation.anthropic.adapter import AnthropicAdapter
from genai_otel.instrumentation.anthropic.package import _instruments

__all__ = ["NATIVE_SPANS_ENV", "AnthropicInstrumentor"]


class AnthropicInstrumentor(GenAIInstrumentor):
    """Instruments the ``anthropic`` SDK's Messages API (first-party, Bedrock and Vertex clients)."""

    _instruments = _instruments

    def _adapter(self) -> Adapter:
        return AnthropicAdapter()

    def _instrument(self, **kwargs: Any) -> None:
        native = kwargs.pop("native_spans", None)
        if native is None:
            native = read_bool(NATIVE_SPANS_ENV, False)
        sdk_spans = SdkSpans(bool(native))
        if sdk_spans.native:
            kwargs["tracer_provider"] = sdk_spans.tracer_provider(kwargs.get("tracer_provider"))
        super()._instrument(**kwargs)
        stream_types = StreamTypes()
        sdk_spans.install()
        stream_types.install()
        self._sdk_patches: tuple[SdkSpans, StreamTypes] | None = (sdk_spans, stream_types)

    def _uninstrument(self, **kwargs: Any) -> None:
        super()._uninstrument(**kwargs)
        for patch in getattr(self, "_sdk_patches", None) or ():
            patch.uninstall()
        self._sdk_patches = None
