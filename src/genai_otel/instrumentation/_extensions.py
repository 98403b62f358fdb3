"""What an instrumentor adds around each call beyond its span and the GenAI metrics.

The recorder calls :meth:`Extensions.started` right after a call's span starts and :meth:`Extensions.finishing` just
before it ends (after the response attributes and the cost, before the metrics are recorded). In between, the HTTP
layer (``_http_attempts``) notes every attempt on the call's :class:`CallExtras`. At the end this puts on the span
the attempts, request id and rate limits (and records the rate-limit gauges), runs the JSON-output check, remembers
the response id for ``record_evaluation``, and runs the hooks.

Cost on the call path with no hook registered and no JSON asked for: ``started`` reads two values and returns; the
HTTP layer creates one small record per call; ``finishing`` sets one to three attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

from genai_otel._settings import read_bool, read_float
from genai_otel.environment_variables import (
    GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S,
    GENAI_OTEL_HOOK_TIMEOUT_MS,
    GENAI_OTEL_THREAD_CONTEXT,
)
from genai_otel.genai import semconv as sc
from genai_otel.genai._hook_runner import HookRunner, in_hook
from genai_otel.genai._safety import internal_error
from genai_otel.genai.evaluation import bind as bind_evaluations
from genai_otel.genai.evaluation import remember_response
from genai_otel.genai.recorder import error_type_of
from genai_otel.hooks import REGISTRY, CallView
from genai_otel.instrumentation import _http_attempts, _threads
from genai_otel.instrumentation._http_attempts import Attempts, RateLimitGauges
from genai_otel.instrumentation._json_output import JsonSpec, TextTap, check, json_spec, output_texts

if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider
    from opentelemetry.metrics import Meter

    from genai_otel.genai.recorder import Invocation
    from genai_otel.genai.stream import Accumulator
    from genai_otel.genai.types import Attributes, GenAIResponse
    from genai_otel.hooks import _Seal

__all__ = ["CallExtras", "Extensions", "keep_result", "start_extensions", "stop_extensions", "tap_stream"]

_JSON = "json"


class CallExtras:
    """Per-call state of these features, on ``Invocation.extras`` (created when first needed)."""

    __slots__ = ("attempts", "parameters", "result", "tap", "json", "keep", "owner", "finished")

    def __init__(self) -> None:
        self.attempts: Attempts | None = None
        self.parameters: Mapping[str, Any] | None = None
        self.result: Any = None
        self.tap: TextTap | None = None
        self.json: JsonSpec | None = None
        self.keep = False
        """Keep the SDK's result and a stream's text (hooks are registered, or JSON output is checked)."""
        self.owner: Extensions | None = None
        """Set when ``before`` hooks ran: the extensions that owe the call its ``end`` hooks."""
        self.finished = False

    def ended_unfinished(self, invocation: Invocation, error: BaseException | None) -> None:
        """The call's span is being ended after a failure of ours: run the end of the call if it did not run."""
        owner = self.owner
        if owner is None or self.finished:
            return
        error_type = None
        if error is not None:
            try:
                error_type = error_type_of(error)
            except Exception:  # noqa: BLE001 - the failure being reported may be this very function's
                error_type = type(error).__qualname__
        metric_attributes = dict(invocation.metric_attributes)
        owner.finishing(invocation, None, error, error_type, None, perf_counter() - invocation.started,
                        metric_attributes)

    def texts(self) -> list[str] | None:
        if self.tap is not None:
            return self.tap.joined()
        return output_texts(self.result) if self.result is not None else None


def _extras(invocation: Invocation) -> CallExtras:
    extras = invocation.extras
    if extras is None:
        extras = invocation.extras = CallExtras()
    return extras  # type: ignore[no-any-return]


def attempts_of(invocation: Invocation) -> Attempts:
    extras = _extras(invocation)
    attempts = extras.attempts
    if attempts is None:
        attempts = extras.attempts = Attempts()
    return attempts


def keep_result(invocation: Invocation, result: Any) -> None:
    """Called with the SDK's result of a non-streamed call before it is finished."""
    extras = invocation.extras
    if extras is not None and extras.keep:
        extras.result = result


def tap_stream(invocation: Invocation, accumulator: Accumulator) -> Accumulator:
    """The accumulator a stream proxy should use: ``accumulator``, or a tap keeping the text when it is needed."""
    extras = invocation.extras
    if extras is None or not extras.keep:
        return accumulator
    tap = extras.tap = TextTap(accumulator)
    return tap


class Extensions:
    """One per instrumentor; built at instrument time with everything it needs resolved."""

    __slots__ = ("_gauges", "_hooks", "_checks")

    def __init__(self, meter: Meter, hook_timeout_s: float, hook_async_timeout_s: float,
                 inside_call: ContextVar[Any]) -> None:
        self._gauges = RateLimitGauges(meter)
        self._hooks = HookRunner(REGISTRY, meter, hook_timeout_s, hook_async_timeout_s, inside_call)
        self._checks: Any = meter.create_counter(
            sc.METRIC_JSON_CHECKS, unit="{call}",
            description="Calls that asked for JSON output, by whether the output parsed and matched the schema.")

    def started(self, invocation: Invocation, parameters: Mapping[str, Any] | None) -> None:
        hooks_on = REGISTRY.active
        wants_json = invocation.request.attributes.get(sc.OUTPUT_TYPE) == _JSON
        if not hooks_on and not wants_json:
            return
        try:
            extras = _extras(invocation)
            extras.keep = True
            extras.parameters = parameters
            if wants_json:
                extras.json = json_spec(parameters) if parameters is not None else JsonSpec()
        except Exception as exc:  # noqa: BLE001
            internal_error("extensions.start", exc)
            return
        if hooks_on and not in_hook():
            extras.owner = self
            try:
                metrics = invocation.metric_attributes
                allowed = REGISTRY.metric_keys

                def before(seal: _Seal) -> CallView:
                    return CallView(invocation, "before", seal, metrics, allowed)

                self._hooks.run([("before", before)], invocation.span)
            except Exception as exc:  # noqa: BLE001
                internal_error("hooks.before", exc)

    def finishing(self, invocation: Invocation, response: GenAIResponse | None, error: BaseException | None,
                  error_type: str | None, cost_attributes: Attributes | None, elapsed: float,
                  metric_attributes: dict[str, Any]) -> None:
        """Everything at the end of a call, before its span ends; ``metric_attributes`` may gain hook attributes."""
        span = invocation.span
        recording = span.is_recording()
        extras: CallExtras | None = invocation.extras
        if extras is not None:
            extras.finished = True
        try:
            attributes: Attributes = {}
            if extras is not None:
                if extras.attempts is not None:
                    attributes.update(self._gauges.finish(invocation, extras.attempts, recording))
                if extras.json is not None and error_type is None:
                    self._check_json(invocation, extras, attributes)
            if recording:
                if attributes:
                    span.set_attributes(attributes)
                if response is not None and response.response_id:
                    request = invocation.request
                    remember_response(response.response_id, span.get_span_context(), request.provider,
                                      request.model)
        except Exception as exc:  # noqa: BLE001
            internal_error("extensions.finish", exc)
        if REGISTRY.active and not in_hook():
            try:
                self._after_hooks(invocation, extras, response, error, error_type, cost_attributes, elapsed,
                                  metric_attributes)
            except Exception as exc:  # noqa: BLE001
                internal_error("hooks.after", exc)

    def _check_json(self, invocation: Invocation, extras: CallExtras, attributes: Attributes) -> None:
        texts = extras.texts()
        if not texts:
            return
        assert extras.json is not None
        valid, mode = check(texts, extras.json)
        attributes[sc.EXTRA_JSON_VALID] = valid
        attributes[sc.EXTRA_JSON_CHECK] = mode
        base = invocation.metric_attributes
        counted: Attributes = {sc.PROVIDER_NAME: base[sc.PROVIDER_NAME], sc.EXTRA_JSON_VALID: valid,
                               sc.EXTRA_JSON_CHECK: mode}
        model = base.get(sc.REQUEST_MODEL)
        if model is not None:
            counted[sc.REQUEST_MODEL] = model
        self._checks.add(1, counted)

    def _after_hooks(self, invocation: Invocation, extras: CallExtras | None, response: GenAIResponse | None,
                     error: BaseException | None, error_type: str | None, cost_attributes: Attributes | None,
                     elapsed: float, metric_attributes: dict[str, Any]) -> None:
        cost = cost_attributes.get(sc.EXTRA_COST_USD) if cost_attributes else None
        cost_usd = float(cost) if isinstance(cost, (int, float)) else None
        texts: Callable[[], list[str] | None] | None = extras.texts if extras is not None else None
        allowed = REGISTRY.metric_keys

        def view(phase: str) -> Callable[[_Seal], CallView]:
            def make(seal: _Seal) -> CallView:
                return CallView(invocation, phase, seal, metric_attributes, allowed, response, error, error_type,
                                cost_usd, elapsed, texts)
            return make

        outcome = "failure" if error is not None or error_type else "success"
        self._hooks.run([(outcome, view(outcome)), ("end", view("end"))], invocation.span)


def start_extensions(meter: Meter, logger_provider: LoggerProvider | None, schema_url: str,
                     inside_call: ContextVar[Any]) -> Extensions | None:
    """At instrument time: read the settings, load configured hooks, bind evaluations, patch HTTP ``send`` and the
    thread pool. None (an internal error logged and counted) if that fails: calls are then traced without them."""
    global _started, _threads_on
    try:
        timeout_ms = read_float(GENAI_OTEL_HOOK_TIMEOUT_MS, 100.0, minimum=1.0)
        async_timeout_s = read_float(GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S, 60.0, minimum=0.001)
        REGISTRY.load_configured()
        bind_evaluations(meter, logger_provider, schema_url)
        extensions = Extensions(meter, timeout_ms / 1000.0, async_timeout_s, inside_call)
        _http_attempts.install(inside_call, attempts_of)
        _started += 1
        if read_bool(GENAI_OTEL_THREAD_CONTEXT, True):
            _threads.install()
            _threads_on += 1
        return extensions
    except Exception as exc:  # noqa: BLE001
        internal_error("extensions.setup", exc)
        return None


def stop_extensions() -> None:
    """At uninstrument time: undo what ``start_extensions`` patched (the last instrumentor out restores the SDKs)."""
    global _started, _threads_on
    if _started:
        _started -= 1
        _http_attempts.uninstall()
    if _threads_on:
        _threads_on -= 1
        _threads.uninstall()


_started = 0
_threads_on = 0
