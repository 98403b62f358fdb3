"""Evaluation results: ``genai_otel.record_evaluation(...)`` and what it emits.

Each result is one ``gen_ai.evaluation.result`` event (an OpenTelemetry log record, as the GenAI conventions define
it) with ``gen_ai.evaluation.name``, ``gen_ai.evaluation.score.value``, ``gen_ai.evaluation.score.label``,
``gen_ai.evaluation.explanation``, ``gen_ai.response.id`` and, for an evaluation that failed, ``error.type``; plus one
record of the histogram ``genai_otel.evaluation.score`` (by evaluation name and label, and the call's provider and
request model when known) when there is a score.

The event is parented to the evaluated call's span, found

1. inside a hook: the call the hook is running for;
2. else by ``response_id``: the last 4,096 calls' response ids are remembered (an LRU of span contexts);
3. else it is emitted in the current context, with ``gen_ai.response.id`` when given, as the conventions ask.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber, get_logger
from opentelemetry.metrics import get_meter

from genai_otel._settings import warn_once
from genai_otel.genai import semconv as sc
from genai_otel.genai._hook_runner import current_view
from genai_otel.version import __version__

if TYPE_CHECKING:
    from opentelemetry._logs import Logger, LoggerProvider
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import SpanContext

    from genai_otel.genai.types import Attributes

__all__ = ["RESPONSE_INDEX_SIZE", "SCORE_BUCKETS", "bind", "record_evaluation", "remember_response"]

RESPONSE_INDEX_SIZE = 4096


class _Call(NamedTuple):
    span_context: SpanContext
    provider: str
    request_model: str | None


class _ResponseIndex:
    """Response id -> the call's span context, for the most recent ``size`` calls."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, response_id: str, call: _Call) -> None:
        with self._lock:
            calls = self._calls
            calls[response_id] = call
            calls.move_to_end(response_id)
            if len(calls) > self._size:
                calls.popitem(last=False)

    def get(self, response_id: str) -> _Call | None:
        with self._lock:
            return self._calls.get(response_id)


_index = _ResponseIndex(RESPONSE_INDEX_SIZE)


def remember_response(response_id: str, span_context: SpanContext, provider: str, request_model: str | None) -> None:
    """Note a finished call's response id (called by the instrumentation for every sampled call)."""
    _index.add(response_id, _Call(span_context, provider, request_model))


SCORE_BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0)
"""Score histogram boundaries: fine from 0 to 1 (probabilities, pass rates), then 1-5 and 10-point scales."""


class _Emitter:
    __slots__ = ("logger", "histogram")

    def __init__(self, meter: Meter, logger: Logger) -> None:
        self.logger = logger
        name, description = sc.METRIC_EVALUATION_SCORE, "Scores of evaluations of GenAI outputs, by name."
        try:
            self.histogram: Any = meter.create_histogram(name, unit="1", description=description,
                                                         explicit_bucket_boundaries_advisory=list(SCORE_BUCKETS))
        except TypeError:  # opentelemetry-api older than the advisory parameter
            self.histogram = meter.create_histogram(name, unit="1", description=description)


_emitter: _Emitter | None = None
_emitter_lock = threading.Lock()


def bind(meter: Meter, logger_provider: LoggerProvider | None, schema_url: str | None) -> None:
    """Emit with this instrumentor's meter and logger provider (the one instrumented last)."""
    global _emitter
    emitter = _Emitter(meter, get_logger(sc.SCOPE_NAME, __version__, logger_provider, schema_url=schema_url))
    with _emitter_lock:
        _emitter = emitter


def _current_emitter() -> _Emitter:
    global _emitter
    emitter = _emitter
    if emitter is None:  # called before any instrumentor started: the global providers
        with _emitter_lock:
            if _emitter is None:
                _emitter = _Emitter(get_meter(sc.SCOPE_NAME, __version__), get_logger(sc.SCOPE_NAME, __version__))
            emitter = _emitter
    return emitter


def _bad(message: str, *args: object) -> bool:
    warn_once(f"record_evaluation:{message}", "genai-otel: record_evaluation " + message + "; not recorded", *args)
    return False


def record_evaluation(name: str, *, score: float | None = None, label: str | None = None,
                      explanation: str | None = None, response_id: str | None = None,
                      error_type: str | None = None) -> bool:
    """Record one evaluation of a GenAI call's output (see the module documentation).

    ``name``: what was evaluated (``relevance``, ``json_valid``, ...); ``score`` and/or ``label`` (low cardinality,
    e.g. ``pass`` / ``fail``); ``explanation``: free text; ``response_id``: the evaluated response's id, when not
    called inside a hook; ``error_type``: set when the evaluation itself failed. Returns True when the event was linked
    to the evaluated call's span. Never raises: bad arguments are logged once and nothing is recorded.
    """
    try:
        return _record(name, score, label, explanation, response_id, error_type)
    except Exception as exc:  # noqa: BLE001
        from genai_otel.genai._safety import internal_error  # noqa: PLC0415

        internal_error("evaluation", exc)
        return False


def _record(name: str, score: float | None, label: str | None, explanation: str | None, response_id: str | None,
            error_type: str | None) -> bool:
    if not isinstance(name, str) or not name:
        return _bad("needs a name (a non-empty string)")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            return _bad("score must be a finite number, got %r", score)
        score = float(score)
    if score is None and label is None and error_type is None:
        return _bad("needs a score or a label")
    call: _Call | None = None
    view = current_view()
    if view is not None and (response_id is None or response_id == view.response_id):
        call = _Call(view.span_context, view.provider, view.request_model)
        response_id = response_id or view.response_id
    elif response_id is not None:
        call = _index.get(response_id)
    attributes: Attributes = {sc.EVALUATION_NAME: name}
    if score is not None:
        attributes[sc.EVALUATION_SCORE_VALUE] = score
    if label is not None:
        attributes[sc.EVALUATION_SCORE_LABEL] = str(label)
    if explanation is not None:
        attributes[sc.EVALUATION_EXPLANATION] = str(explanation)
    if response_id is not None:
        attributes[sc.RESPONSE_ID] = response_id
    if error_type is not None:
        attributes[sc.ERROR_TYPE] = error_type
    emitter = _current_emitter()
    context = None
    if call is not None and call.span_context.is_valid:
        context = trace.set_span_in_context(trace.NonRecordingSpan(call.span_context))
    emitter.logger.emit(context=context, event_name=sc.EVENT_EVALUATION_RESULT, severity_number=SeverityNumber.INFO,
                        severity_text="INFO", attributes=attributes)
    if score is not None:
        metric_attributes: Attributes = {sc.EVALUATION_NAME: name}
        if label is not None:
            metric_attributes[sc.EVALUATION_SCORE_LABEL] = str(label)
        if call is not None:
            metric_attributes[sc.PROVIDER_NAME] = call.provider
            if call.request_model:
                metric_attributes[sc.REQUEST_MODEL] = call.request_model
        emitter.histogram.record(score, metric_attributes)
    return context is not None
