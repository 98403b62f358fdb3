"""Lifecycle hooks: your functions, called around every GenAI call genai-otel instruments.

Phases
    ``before``   the call's span has started; the request is about to be sent.
    ``success``  the call ended without an error.
    ``failure``  the call raised, the provider answered with a failure (a failed Response), or a stream broke.
    ``end``      always, after ``success`` or ``failure``.

    A streamed call reaches ``success`` / ``failure`` / ``end`` when its stream ends (read to the end, closed, left,
    abandoned, broken, cancelled), not when ``create()`` returns.

Registering (all three add up)
    - in code: ``genai_otel.add_hook(fn)`` (an ``end`` hook), ``add_hook(fn, phase="before")``, or
      ``add_hook(obj)`` where ``obj`` (an object or a module) has any of the attributes ``before``, ``success``,
      ``failure``, ``end``. It returns a :class:`HookHandle`; ``handle.remove()`` unregisters it.
    - ``GENAI_OTEL_HOOKS``: comma-separated ``package.module:attribute`` or ``package.module`` targets, each a
      function (an ``end`` hook) or an object/module as above. A target that cannot be loaded is skipped with one
      warning naming the variable and the value.
    - entry points in the group ``genai_otel_hooks`` (``name = "package.module:attribute"``), same rules.
    Hooks from the environment and entry points are loaded once, when the first genai-otel instrumentor starts.

What a hook gets
    One argument, a :class:`CallView`: provider, operation, models, server, the call's arguments (read-only),
    the SDK's result (non-streamed calls), the output text, response id, finish reasons, token usage, cost (when the
    model has a price), the error, elapsed time, the number of HTTP attempts, and the span. It may add span
    attributes (``view.set_attribute``) and metric attributes (``view.set_metric_attribute``) for names listed in
    ``GENAI_OTEL_HOOK_METRIC_ATTRIBUTES`` (or :func:`allow_metric_attributes`): those go on the call's duration,
    token and streaming histograms. ``genai_otel.record_evaluation(...)`` inside a hook is linked to the call.

Time budget: a hook never holds up or breaks the application
    Plain functions run on genai-otel's hook threads, in a copy of the caller's context (context variables, the
    OpenTelemetry context with the call's span current, baggage; not ``threading.local``). The call waits for the
    hooks of one phase at most ``GENAI_OTEL_HOOK_TIMEOUT_MS`` (default 100 ms) in total, then goes on: a late hook's
    writes are ignored and it counts as a ``timeout``; until that run returns the hook is skipped (``skipped``), so a
    hung hook costs the application one budget, not one per call.

    Coroutine functions (``async def``) are never awaited by the call: they run as tasks on genai-otel's own event
    loop (one thread), not the caller's, so their work cannot stall the application's loop and ``asyncio.run()``
    returning does not cancel them; they are cancelled after ``GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S`` (default 60 s), and
    at interpreter exit those still running get up to 5 s. They may run after the span ended, so they cannot set
    attributes (a write is ignored with a warning); use them for side effects and evaluations (an LLM judge). A
    client they create belongs to that loop: create it inside the hook (see ``examples/llm_judge_hook.py``).

    A hook that raises, overruns or is skipped is logged once (per hook, phase and kind) and counted in
    ``genai_otel.hook.failures`` (``{error}``; ``genai_otel.hook.name``, ``genai_otel.hook.phase``, ``error.type`` =
    the exception's type, ``timeout``, ``skipped`` or ``overloaded``). GenAI calls made inside a hook are traced
    as usual but run no hooks.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any

from genai_otel._settings import warn_once
from genai_otel.environment_variables import GENAI_OTEL_HOOK_METRIC_ATTRIBUTES, GENAI_OTEL_HOOKS

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext

    from genai_otel.genai.recorder import Invocation
    from genai_otel.genai.types import AttributeValue, GenAIResponse, Usage

__all__ = ["ENTRY_POINT_GROUP", "PHASES", "CallView", "HookHandle", "add_hook", "allow_metric_attributes"]

_logger = logging.getLogger("genai_otel")

PHASES = ("before", "success", "failure", "end")
ENTRY_POINT_GROUP = "genai_otel_hooks"
_METRIC_VALUE_TYPES = (str, bool, int, float)


class Hook:
    """One registered hook function for one phase (internal record)."""

    __slots__ = ("fn", "name", "phase", "is_async", "running_late")

    def __init__(self, fn: Callable[[CallView], Any], phase: str, name: str | None = None) -> None:
        self.fn = fn
        self.phase = phase
        self.name = name or _name_of(fn)
        self.is_async = inspect.iscoroutinefunction(fn) or (
            not inspect.isroutine(fn) and inspect.iscoroutinefunction(type(fn).__call__))
        self.running_late = False
        """True while a run that overran its budget has not returned yet: the hook is skipped meanwhile."""


def _name_of(fn: Any) -> str:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}:{qualname}"


class _Registry:
    """Every hook of the process, by phase, as tuples the call path reads without a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sync: dict[str, tuple[Hook, ...]] = dict.fromkeys(PHASES, ())
        self.asynchronous: dict[str, tuple[Hook, ...]] = dict.fromkeys(PHASES, ())
        self.active = False
        """Any hook registered: the only thing a call reads when there is none."""
        self.metric_keys: frozenset[str] = frozenset()
        self._loaded = False

    def add(self, hooks: Iterable[Hook]) -> None:
        with self.lock:
            for hook in hooks:
                table = self.asynchronous if hook.is_async else self.sync
                table[hook.phase] = (*table[hook.phase], hook)
            self._refresh()

    def remove(self, hooks: Iterable[Hook]) -> None:
        with self.lock:
            for hook in hooks:
                for table in (self.sync, self.asynchronous):
                    table[hook.phase] = tuple(h for h in table[hook.phase] if h is not hook)
            self._refresh()

    def _refresh(self) -> None:
        self.active = any(self.sync.values()) or any(self.asynchronous.values())

    def load_configured(self) -> None:
        """Hooks from ``GENAI_OTEL_HOOKS`` and the ``genai_otel_hooks`` entry points, and the metric-attribute
        allow-list: once per process."""
        with self.lock:
            if self._loaded:
                return
            self._loaded = True
        _allow_from_env()
        import os  # noqa: PLC0415

        raw = os.environ.get(GENAI_OTEL_HOOKS, "")
        for target in (t.strip() for t in raw.split(",")):
            if not target:
                continue
            try:
                found = _load_target(target)
            except Exception as exc:  # noqa: BLE001 - a bad target must not stop the app
                warn_once(f"env:{GENAI_OTEL_HOOKS}={target}",
                          "genai-otel: ignoring %s entry %r (%s: %s); expected package.module:function or an "
                          "object with before/success/failure/end", GENAI_OTEL_HOOKS, target, type(exc).__name__, exc)
                continue
            self.add(found)
        try:
            from importlib.metadata import entry_points  # noqa: PLC0415

            points = list(entry_points(group=ENTRY_POINT_GROUP))
        except Exception:  # noqa: BLE001
            points = []
        for point in points:
            try:
                self.add(_hooks_of(point.load(), point.name))
            except Exception as exc:  # noqa: BLE001
                warn_once(f"entry_point:{point.name}", "genai-otel: ignoring hook entry point %r = %r (%s: %s)",
                          point.name, point.value, type(exc).__name__, exc)


REGISTRY = _Registry()


def _load_target(target: str) -> list[Hook]:
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attribute.strip().split(".") if attribute.strip() else ():
        obj = getattr(obj, part)
    return _hooks_of(obj, None)


def _hooks_of(obj: Any, name: str | None, phase: str | None = None) -> list[Hook]:
    """The hooks an object stands for: per-phase attributes of an object or module, else itself as one phase."""
    if phase is None:
        per_phase = [(p, getattr(obj, p, None)) for p in PHASES]
        found = [Hook(fn, p, f"{name}.{p}" if name else None) for p, fn in per_phase if callable(fn)]
        if found or isinstance(obj, ModuleType):
            if not found:
                raise ValueError("the module has no before, success, failure or end function")
            return found
        phase = "end"
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    if not callable(obj):
        raise TypeError(f"{obj!r} is not callable")
    return [Hook(obj, phase, name)]


class HookHandle:
    """What :func:`add_hook` returns: ``remove()`` unregisters the hooks it added."""

    __slots__ = ("_hooks",)

    def __init__(self, hooks: list[Hook]) -> None:
        self._hooks = hooks

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"{h.phase}:{h.name}" for h in self._hooks)

    def remove(self) -> None:
        REGISTRY.remove(self._hooks)
        self._hooks = []


def add_hook(hook: Any, *, phase: str | None = None, name: str | None = None) -> HookHandle:
    """Register ``hook`` for every GenAI call from now on (see the module documentation).

    ``hook``: a function or coroutine function taking one :class:`CallView` (with ``phase``, default ``end``), or an
    object/module with any of ``before``, ``success``, ``failure``, ``end``. ``name``: how failures name it
    (default ``module:qualname``). Raises ``TypeError`` / ``ValueError`` for something that is not a hook.
    """
    hooks = _hooks_of(hook, name, phase)
    REGISTRY.add(hooks)
    return HookHandle(hooks)


def allow_metric_attributes(*names: str) -> None:
    """Let hooks put these attribute names on the GenAI metrics (added to ``GENAI_OTEL_HOOK_METRIC_ATTRIBUTES``)."""
    with REGISTRY.lock:
        REGISTRY.metric_keys = REGISTRY.metric_keys | {n.strip() for n in names if n and n.strip()}


def _allow_from_env() -> None:
    import os  # noqa: PLC0415

    raw = os.environ.get(GENAI_OTEL_HOOK_METRIC_ATTRIBUTES, "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if any(c.isspace() for c in n) or n.startswith(("gen_ai.", "genai_otel."))]
    if bad:
        warn_once(f"env:{GENAI_OTEL_HOOK_METRIC_ATTRIBUTES}={raw}",
                  "genai-otel: ignoring %r in %s=%r (names must not contain spaces or use the gen_ai. / genai_otel. "
                  "namespaces)", bad, GENAI_OTEL_HOOK_METRIC_ATTRIBUTES, raw)
    allow_metric_attributes(*(n for n in names if n not in bad))


class _Seal:
    """Whether the hooks of one phase may still write to the call; shared by the views of that phase."""

    __slots__ = ("lock", "open", "running", "cancelled")

    def __init__(self, open_: bool) -> None:
        self.lock = threading.Lock()
        self.open = open_
        self.running: Hook | None = None
        self.cancelled = False


class CallView:
    """A read-only view of one GenAI call, given to every hook. Attributes are read-only."""

    __slots__ = ("_inv", "_phase", "_response", "_error", "_error_type", "_cost", "_elapsed", "_metrics",
                 "_allowed", "_seal", "_texts")
    _inv: Invocation
    _phase: str
    _response: GenAIResponse | None
    _error: BaseException | None
    _error_type: str | None
    _cost: float | None
    _elapsed: float | None
    _metrics: dict[str, Any]
    _allowed: frozenset[str]
    _seal: _Seal
    _texts: Callable[[], list[str] | None] | None

    def __init__(self, invocation: Invocation, phase: str, seal: _Seal, metric_target: dict[str, Any],
                 allowed: frozenset[str], response: GenAIResponse | None = None, error: BaseException | None = None,
                 error_type: str | None = None, cost_usd: float | None = None, elapsed_s: float | None = None,
                 texts: Callable[[], list[str] | None] | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "_inv", invocation)
        set_(self, "_phase", phase)
        set_(self, "_seal", seal)
        set_(self, "_metrics", metric_target)
        set_(self, "_allowed", allowed)
        set_(self, "_response", response)
        set_(self, "_error", error)
        set_(self, "_error_type", error_type)
        set_(self, "_cost", cost_usd)
        set_(self, "_elapsed", elapsed_s)
        set_(self, "_texts", texts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CallView is read-only (use set_attribute / set_metric_attribute), not {name!r}")

    def __repr__(self) -> str:
        return (f"CallView(phase={self._phase!r}, operation={self.operation!r}, provider={self.provider!r}, "
                f"request_model={self.request_model!r}, error_type={self._error_type!r})")

    # --- the call ---
    @property
    def phase(self) -> str:
        """``before``, ``success``, ``failure`` or ``end``."""
        return self._phase

    @property
    def operation(self) -> str:
        return self._inv.request.operation

    @property
    def provider(self) -> str:
        return self._inv.request.provider

    @property
    def request_model(self) -> str | None:
        return self._inv.request.model

    @property
    def server_address(self) -> str | None:
        return self._inv.request.server_address

    @property
    def stream(self) -> bool:
        return self._inv.request.stream

    @property
    def request_attributes(self) -> Mapping[str, AttributeValue]:
        """The request's span attributes (``gen_ai.request.temperature``, ...)."""
        return MappingProxyType(self._inv.request.attributes)

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The keyword arguments of the SDK call (``model``, ``messages``, ...), read-only."""
        extras = self._inv.extras
        parameters = extras.parameters if extras is not None else None
        return MappingProxyType(parameters if parameters is not None else {})

    # --- the outcome (None before the call ends) ---
    @property
    def result(self) -> Any:
        """The SDK's own result of a non-streamed call (e.g. a ``ChatCompletion``); None for streams and failures."""
        extras = self._inv.extras
        return extras.result if extras is not None and self._phase != "before" else None

    @property
    def output_texts(self) -> tuple[str, ...]:
        """The text of each output (choice), streamed ones included; empty when there is none."""
        texts = self._texts() if self._texts is not None and self._phase != "before" else None
        return tuple(texts or ())

    @property
    def output_text(self) -> str | None:
        texts = self.output_texts
        return texts[0] if texts else None

    @property
    def response_id(self) -> str | None:
        return self._response.response_id if self._response is not None else None

    @property
    def response_model(self) -> str | None:
        return self._response.model if self._response is not None else None

    @property
    def finish_reasons(self) -> tuple[str, ...]:
        return self._response.finish_reasons if self._response is not None else ()

    @property
    def usage(self) -> Usage | None:
        return self._response.usage if self._response is not None else None

    @property
    def cost_usd(self) -> float | None:
        """What the call cost (``genai_otel.cost.usd``), when its model has a price."""
        return self._cost

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def error_type(self) -> str | None:
        """``error.type`` of a failed call (the exception's qualified name, or the provider's failure)."""
        return self._error_type

    @property
    def elapsed_s(self) -> float | None:
        """Seconds from the start of the call to its end (None in ``before``)."""
        return self._elapsed

    @property
    def http_attempts(self) -> int:
        """HTTP requests the call has taken so far (SDK retries included)."""
        extras = self._inv.extras
        attempts = extras.attempts if extras is not None else None
        return attempts.count if attempts is not None else 0

    @property
    def span(self) -> Span:
        """The call's span (do not end it). Prefer :meth:`set_attribute`, which respects the time budget."""
        return self._inv.span

    @property
    def span_context(self) -> SpanContext:
        return self._inv.span.get_span_context()

    # --- what a hook may add ---
    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Add a span attribute to the call (ignored once the hook's time budget is spent, and in async hooks)."""
        seal = self._seal
        with seal.lock:
            if seal.open:
                self._inv.span.set_attribute(key, value)
                return
        warn_once(f"hook-late-write:{key}", "genai-otel: a hook set %r after its time budget or from an async hook; "
                  "ignored (async hooks cannot change the call's span or metrics)", key)

    def set_metric_attribute(self, key: str, value: str | bool | int | float) -> None:
        """Add an attribute to the call's GenAI metrics; only names in ``GENAI_OTEL_HOOK_METRIC_ATTRIBUTES``."""
        if key not in self._allowed:
            warn_once(f"hook-metric-attribute:{key}", "genai-otel: a hook set metric attribute %r, which is not in %s; "
                      "ignored", key, GENAI_OTEL_HOOK_METRIC_ATTRIBUTES)
            return
        if not isinstance(value, _METRIC_VALUE_TYPES):
            warn_once(f"hook-metric-value:{key}", "genai-otel: metric attribute %r must be a str, bool, int or "
                      "float, not %s; ignored", key, type(value).__name__)
            return
        seal = self._seal
        with seal.lock:
            if seal.open:
                self._metrics[key] = value
                return
        warn_once(f"hook-late-write:{key}", "genai-otel: a hook set %r after its time budget or from an async hook; "
                  "ignored (async hooks cannot change the call's span or metrics)", key)
