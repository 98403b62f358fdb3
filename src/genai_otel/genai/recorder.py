"""One recorder turns neutral GenAI records into spans and metrics.

``start(request) -> Invocation`` opens the span; ``finish(invocation, response, error)`` closes it exactly once and
records the metrics. Adapters never touch spans or instruments themselves.
"""

from __future__ import annotations

import sys
from time import perf_counter, time_ns
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, Usage

if TYPE_CHECKING:
    from collections.abc import Mapping

    from opentelemetry.trace import Span, Tracer

    from genai_otel.genai.content import ContentCapture
    from genai_otel.genai.cost import CostRecorder
    from genai_otel.genai.metrics import GenAIInstruments
    from genai_otel.instrumentation._extensions import Extensions

__all__ = ["Invocation", "Recorder", "end_unfinished", "error_type_of"]

_CLIENT = SpanKind.CLIENT
_error_type_cache: dict[type, str] = {}


def error_type_of(exc: BaseException) -> str:
    """The exception's fully qualified class name, through its public package when it is re-exported there.

    ``openai._exceptions.RateLimitError`` -> ``openai.RateLimitError``; ``asyncio.exceptions.CancelledError`` ->
    ``asyncio.CancelledError``; builtins keep their bare name.
    """
    cls = type(exc)
    cached = _error_type_cache.get(cls)
    if cached is not None:
        return cached
    module, name = cls.__module__, cls.__qualname__
    top = module.partition(".")[0]
    if module == "builtins":
        qualified = name
    elif module != top and getattr(sys.modules.get(top), name, None) is cls:
        qualified = f"{top}.{name}"
    else:
        qualified = f"{module}.{name}"
    _error_type_cache[cls] = qualified
    return qualified


class Invocation:
    """One GenAI call in flight: its span, its request, and stream timings."""

    __slots__ = ("span", "request", "started", "first_chunk", "last_chunk", "chunk_count", "chunk_gaps", "ended",
                 "metric_attributes", "extras")

    def __init__(self, span: Span, request: GenAIRequest, metric_attributes: Attributes, per_chunk: bool) -> None:
        self.span = span
        self.request = request
        self.metric_attributes = metric_attributes
        self.started = perf_counter()
        self.first_chunk: float | None = None
        self.last_chunk = 0.0
        self.chunk_count = 0
        self.chunk_gaps: list[float] | None = [] if per_chunk else None
        self.ended = False
        self.extras: Any = None
        """Per-call state of the extensions (HTTP attempts, the SDK result for hooks); see ``Recorder.extensions``."""

    def chunk_arrived(self) -> None:
        """Note the arrival time of one stream chunk (called for every chunk; keep it tiny)."""
        now = perf_counter()
        if self.first_chunk is None:
            self.first_chunk = now
        elif self.chunk_gaps is not None:
            self.chunk_gaps.append(now - self.last_chunk)
        self.last_chunk = now
        self.chunk_count += 1


class Recorder:
    """Emits one CLIENT span and the GenAI client metrics per invocation."""

    __slots__ = ("_tracer", "_instruments", "_per_chunk", "_cost", "content", "extensions")

    def __init__(self, tracer: Tracer, instruments: GenAIInstruments, per_chunk: bool = False,
                 cost: CostRecorder | None = None, content: ContentCapture | None = None,
                 extensions: Extensions | None = None) -> None:
        """``per_chunk``: record ``time_per_output_chunk`` for every chunk (the conventions' wording, one SDK
        histogram record per chunk) instead of once per stream with the mean gap between chunks (the default).
        ``cost``: prices each finished call (span attribute and cost metrics, see ``genai_otel.genai.cost``).
        ``content``: the prompt hash and opt-in message content (see ``genai_otel.genai.content``); the engine
        hands it each call's prompt, ``finish`` puts the captured copy on the span and in the event.
        ``extensions``: HTTP attempts and rate limits, the JSON-output check, response ids for evaluations and the
        hooks (``genai_otel.instrumentation._extensions``): told when each call starts and just before it ends."""
        self._tracer = tracer
        self._instruments = instruments
        self._per_chunk = per_chunk
        self._cost = cost
        self.content = content
        self.extensions = extensions

    def start(self, request: GenAIRequest, parameters: Mapping[str, Any] | None = None) -> Invocation:
        """Open the call's span. ``parameters``: the SDK call's keyword arguments (for hooks and the JSON check)."""
        base: Attributes = {sc.OPERATION_NAME: request.operation, sc.PROVIDER_NAME: request.provider}
        if request.model:
            base[sc.REQUEST_MODEL] = request.model
        if request.server_address:
            base[sc.SERVER_ADDRESS] = request.server_address
        if request.server_port is not None:
            base[sc.SERVER_PORT] = request.server_port
        span_attributes = dict(base)
        span_attributes[sc.REQUEST_STREAM] = request.stream
        span_attributes.update(request.attributes)
        name = f"{request.operation} {request.model}" if request.model else request.operation
        span = self._tracer.start_span(name, kind=_CLIENT, attributes=span_attributes)
        try:
            invocation = Invocation(span, request, base, self._per_chunk)
            if self.extensions is not None:
                self.extensions.started(invocation, parameters)
        except BaseException:
            span.end()  # the caller counts the failure and runs the call untraced: no span may stay open
            raise
        return invocation

    def finish(
        self,
        invocation: Invocation,
        response: GenAIResponse | None,
        error: BaseException | None = None,
        ending: str | None = None,
    ) -> None:
        """Close the invocation exactly once: span attributes, status, end, then metrics."""
        if invocation.ended:
            return
        invocation.ended = True
        elapsed = perf_counter() - invocation.started
        end_ns = time_ns()  # the span ends when the call did, not after what follows (hooks may take a while)
        span = invocation.span
        metric_attributes = dict(invocation.metric_attributes)
        error_type = error_type_of(error) if error is not None else (response.error_type if response else None)
        if response is not None and response.model:
            metric_attributes[sc.RESPONSE_MODEL] = response.model
        if error_type:
            metric_attributes[sc.ERROR_TYPE] = error_type
        first_chunk = invocation.first_chunk
        time_to_first_chunk = first_chunk - invocation.started if first_chunk is not None else None
        try:
            cost_attributes = None
            if self._cost is not None and response is not None:
                try:  # metrics whether or not the span is sampled
                    cost_attributes = self._cost.record(invocation.request, response, span)
                except Exception as exc:  # noqa: BLE001
                    internal_error("cost", exc)
            recording = span.is_recording()
            content = self.content if invocation.request.capture_content else None
            if recording or content is not None:
                attributes = _response_attributes(response) if response is not None else {}
                if cost_attributes:
                    attributes.update(cost_attributes)
                if time_to_first_chunk is not None:
                    attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = time_to_first_chunk
                if ending is not None:
                    attributes[sc.EXTRA_STREAM_ENDING] = ending
                    attributes[sc.EXTRA_STREAM_CHUNKS] = invocation.chunk_count
                if error_type:
                    attributes[sc.ERROR_TYPE] = error_type
                if content is not None:  # the event goes out whether or not the span is sampled
                    try:
                        content_attributes = content.finish(span, invocation, response, error_type is not None,
                                                            attributes, recording)
                        if content_attributes:
                            attributes.update(content_attributes)
                    except Exception as exc:  # noqa: BLE001
                        internal_error("content", exc)
            if recording:
                span.set_attributes(attributes)
                if error is not None:
                    span.record_exception(error)
                    span.set_status(Status(StatusCode.ERROR, str(error) or error_type))
                elif error_type:
                    message = response.error_message if response is not None else None
                    span.set_status(Status(StatusCode.ERROR, message or error_type))
            if self.extensions is not None:  # guarded inside; may add hook attributes to metric_attributes
                self.extensions.finishing(invocation, response, error, error_type, cost_attributes, elapsed,
                                          metric_attributes)
        finally:
            span.end(end_time=end_ns)
        self._record_metrics(invocation, elapsed, metric_attributes, response.usage if response else None,
                             time_to_first_chunk)

    def _record_metrics(
        self,
        invocation: Invocation,
        elapsed: float,
        attributes: Attributes,
        usage: Usage | None,
        time_to_first_chunk: float | None,
    ) -> None:
        instruments = self._instruments
        instruments.duration.record(elapsed, attributes)
        if usage is not None:
            if usage.input_tokens is not None:
                instruments.token_usage.record(usage.input_tokens, {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT})
            if usage.output_tokens is not None:
                instruments.token_usage.record(usage.output_tokens,
                                               {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT})
        if time_to_first_chunk is not None:
            instruments.time_to_first_chunk.record(time_to_first_chunk, attributes)
            gaps = invocation.chunk_gaps
            if gaps is not None:
                record_gap: Any = instruments.time_per_output_chunk.record
                for gap in gaps:
                    record_gap(gap, attributes)
            elif invocation.chunk_count > 1:
                mean_gap = (invocation.last_chunk - invocation.first_chunk) / (invocation.chunk_count - 1)  # type: ignore[operator]
                instruments.time_per_output_chunk.record(mean_gap, attributes)


def _response_attributes(response: GenAIResponse) -> Attributes:
    attributes: Attributes = {}
    if response.response_id:
        attributes[sc.RESPONSE_ID] = response.response_id
    if response.model:
        attributes[sc.RESPONSE_MODEL] = response.model
    if response.finish_reasons:
        attributes[sc.RESPONSE_FINISH_REASONS] = response.finish_reasons
    usage = response.usage
    if usage is not None:
        if usage.input_tokens is not None:
            attributes[sc.USAGE_INPUT_TOKENS] = usage.input_tokens
        if usage.output_tokens is not None:
            attributes[sc.USAGE_OUTPUT_TOKENS] = usage.output_tokens
        if usage.cache_read_input_tokens is not None:
            attributes[sc.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_input_tokens
        if usage.cache_creation_input_tokens is not None:
            attributes[sc.USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_creation_input_tokens
        if usage.reasoning_output_tokens is not None:
            attributes[sc.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_output_tokens
    if response.attributes:
        attributes.update(response.attributes)
    return attributes


def end_unfinished(invocation: Invocation, error: BaseException | None = None) -> None:
    """End the invocation's span if ``finish`` failed before it could: a failure of ours never leaves a span open.

    The extensions are told too (when ``finish`` had not reached them), so ``end`` hooks run for every call whose
    ``before`` hooks ran, with what is known: no response, the call's ``error`` if it failed.
    """
    invocation.ended = True
    extras = invocation.extras
    if extras is not None:
        try:
            extras.ended_unfinished(invocation, error)
        except Exception:  # noqa: BLE001 - the caller is already reporting an internal error
            pass
    span = invocation.span
    try:
        if span.is_recording():  # False once ended, and for unsampled spans (whose end() does nothing)
            span.end()
    except Exception:  # noqa: BLE001 - the caller is already reporting an internal error
        pass
