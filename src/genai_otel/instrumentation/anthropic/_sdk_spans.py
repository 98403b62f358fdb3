"""The anthropic SDK's own spans: one GenAI span per call, ours by default, the SDK's on request.

anthropic >= 1.14 starts a span of its own for every API call when a global TracerProvider exists (instrumentation
scope ``com.anthropic.sdk.python``; ``ANTHROPIC_OPEN_TELEMETRY=false`` turns them off per client).

- Default: while one of our calls runs, the SDK is handed a tracer whose spans only carry the current (our) span
  context. The SDK then records nothing, yet still propagates our trace context on its requests and parents any
  HTTP-client spans under ours. SDK calls we do not instrument (files, models, batches, count_tokens) keep the
  SDK's own spans.
- Native (``GENAI_OTEL_ANTHROPIC_NATIVE_SPANS=true``, or ``instrument(native_spans=True)``): we step aside. Our
  recorder gets a tracer of the same kind, so genai-otel emits no span of its own for Anthropic calls, the SDK's span
  sits under the caller's span, and genai-otel still records the GenAI metrics. With an SDK that has no spans of
  its own, ours are kept.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import NonRecordingSpan, Span

from genai_otel.genai._safety import internal_error
from genai_otel.instrumentation._base import _inside_call

__all__ = ["NATIVE_SPANS_ENV", "SdkSpans"]

NATIVE_SPANS_ENV = "GENAI_OTEL_ANTHROPIC_NATIVE_SPANS"
"""``true``: Anthropic calls get the anthropic SDK's own span instead of genai-otel's. Default ``false``."""

_logger = logging.getLogger("genai_otel")
_CLIENT_MODULE = "anthropic._base_client"
_START_SPAN = "start_api_call_span"


class _ContextOnlyTracer(trace.NoOpTracer):
    """Starts spans that record nothing and carry the current span's context (so children keep their parent)."""

    def start_span(self, name: str, context: Context | None = None, *args: Any, **kwargs: Any) -> Span:
        return NonRecordingSpan(trace.get_current_span(context).get_span_context())


_CONTEXT_ONLY = _ContextOnlyTracer()


def _step_aside(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """Wraps the SDK's ``start_api_call_span(tracer, ...)``: inside one of our calls, its span records nothing.

    A tracer that would record is swapped for ``_CONTEXT_ONLY``. One that would not (no TracerProvider behind it) is
    left alone: it only carries the current context, which is ours, exactly as it would carry the caller's span
    without us. When the caller had no span, the SDK would have had nothing to carry, so it gets no span at all and
    keeps its fast path, as without us.
    """
    if not _inside_call.get():
        return wrapped(*args, **kwargs)
    try:
        tracer = args[0] if args else kwargs.get("tracer")
        swap = _records(tracer)
        skip = not swap and getattr(trace.get_current_span(), "parent", None) is None
    except Exception as exc:  # noqa: BLE001 - runs in the SDK's call: on a bug of ours, the SDK's own behaviour
        internal_error("anthropic.sdk_spans", exc)
        return wrapped(*args, **kwargs)
    if skip:
        return None
    if swap:
        if args:
            args = (_CONTEXT_ONLY, *args[1:])
        else:
            kwargs = {**kwargs, "tracer": _CONTEXT_ONLY}
    return wrapped(*args, **kwargs)


def _records(tracer: Any) -> bool:
    """Whether spans of ``tracer`` reach a real provider."""
    if isinstance(tracer, trace.NoOpTracer):
        return False
    if isinstance(tracer, trace.ProxyTracer):  # the global provider, resolved once one is set
        return not isinstance(trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
    return True


class _NativeTracerProvider(trace.NoOpTracerProvider):
    """Our recorder's tracer provider in native mode: context-only spans once the SDK proves it has spans."""

    def __init__(self, real: trace.TracerProvider | None, switch: SdkSpans) -> None:
        self._real = real
        self._switch = switch

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        real = (self._real or trace.get_tracer_provider()).get_tracer(*args, **kwargs)
        return _NativeTracer(real, self._switch)


class _NativeTracer(trace.NoOpTracer):
    def __init__(self, real: trace.Tracer, switch: SdkSpans) -> None:
        self._real = real
        self._switch = switch

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        if self._switch.sdk_has_spans:
            return _CONTEXT_ONLY.start_span(*args, **kwargs)
        return self._real.start_span(*args, **kwargs)


class SdkSpans:
    """Decides, once the SDK is imported, whose span an Anthropic call gets; undone by ``uninstall()``."""

    def __init__(self, native: bool) -> None:
        self.native = native
        self.sdk_has_spans = False
        self._active = False
        self._patched: Any = None

    def tracer_provider(self, real: trace.TracerProvider | None) -> trace.TracerProvider:
        """The provider our recorder should use: ``real`` itself, or in native mode the stepping-aside one."""
        return _NativeTracerProvider(real, self) if self.native else real  # type: ignore[return-value]

    def install(self) -> None:
        self._active = True
        wrapt.register_post_import_hook(self._on_import, "anthropic")

    def uninstall(self) -> None:
        self._active = False
        if self._patched is not None:
            unwrap(self._patched, _START_SPAN)
            self._patched = None

    def _on_import(self, _module: Any) -> None:
        if not self._active:
            return
        try:
            client_module = importlib.import_module(_CLIENT_MODULE)
        except ImportError:
            return
        self.sdk_has_spans = callable(getattr(client_module, _START_SPAN, None))
        if self.native:
            if not self.sdk_has_spans:
                _logger.warning("genai-otel: %s=true, but this anthropic SDK has no spans of its own; "
                                "keeping genai-otel's", NATIVE_SPANS_ENV)
            return
        if not self.sdk_has_spans or self._patched is not None:
            return
        if getattr(getattr(client_module, _START_SPAN), "_self_wrapper", None) is _step_aside:
            return
        wrapt.wrap_function_wrapper(client_module, _START_SPAN, _step_aside)
        self._patched = client_module
