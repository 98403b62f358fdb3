"""One instrumentor engine, driven by the patch targets an adapter declares as data.

An adapter (one folder per provider) lists ``PatchTarget``s, each naming a method to wrap and the ``Surface`` that
translates its requests, responses and stream chunks into the neutral records of ``genai_otel.genai.types``. The
engine patches lazily (when the SDK is imported), wraps every target with the same wrapper factory, and undoes every
patch on ``uninstrument()``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap

from genai_otel._settings import read_choice
from genai_otel.environment_variables import GENAI_OTEL_CHUNK_TIMING
from genai_otel.genai import semconv
from genai_otel.genai._safety import bind_meter, internal_error
from genai_otel.genai.content import content_capture
from genai_otel.genai.cost import cost_recorder
from genai_otel.genai.metrics import GenAIInstruments
from genai_otel.genai.recorder import Invocation, Recorder, end_unfinished
from genai_otel.instrumentation._extensions import start_extensions, stop_extensions
from genai_otel.instrumentation._results import ResultKind, deliver
from genai_otel.version import __version__

if TYPE_CHECKING:
    from genai_otel.genai.stream import Accumulator
    from genai_otel.genai.types import GenAIRequest, GenAIResponse

__all__ = ["Adapter", "GenAIInstrumentor", "PatchTarget", "ResultKind", "Surface"]

_logger = logging.getLogger("genai_otel")
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.1"

# The running call's Invocation (truthy) while a patched call is running in this context, so SDK helpers that call
# other patched methods (``stream()`` -> ``create()``) and stacked instrumentations yield exactly one span per call,
# and the HTTP layer knows which call an attempt belongs to (``_http_attempts``). False otherwise.
_inside_call: ContextVar[Any] = ContextVar("genai_otel_inside_call", default=False)


class Surface(Protocol):
    """Translates one SDK surface (e.g. OpenAI chat completions) into neutral records."""

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GenAIRequest: ...

    def response(self, result: Any, request: GenAIRequest) -> GenAIResponse: ...

    def accumulator(self, request: GenAIRequest) -> Accumulator: ...

    # Optional, for inference surfaces (probed with getattr): the call's input as a normalized
    # ``genai_otel.genai.content.Prompt`` (the prompt hash is taken over it; it is captured when ``capture``).
    # ``response()`` and ``accumulator()`` then fill ``output_messages`` when ``request.capture_content``.
    # def prompt(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Prompt: ...


@dataclass(frozen=True)
class PatchTarget:
    """One SDK method to wrap: ``module`` + dotted ``method`` inside it, and the surface that reads it."""

    module: str
    method: str
    surface: Surface
    is_async: bool = False
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None
    """Optional: given the engine's wrapper for this target, the wrapper to install instead. For SDK methods that
    return an object which sends the request later (a stream manager), so the engine's wrapper runs at that moment."""


class Adapter(Protocol):
    """Everything provider-specific: the SDK's root package, its patch targets, and how to tell results apart."""

    package: str

    def targets(self) -> Sequence[PatchTarget]: ...

    def classify(self, result: Any) -> ResultKind: ...


def _make_wrapper(target: PatchTarget, adapter: Adapter, recorder: Recorder) -> Callable[..., Any]:
    surface = target.surface
    classify = adapter.classify
    set_span_in_context = trace.set_span_in_context
    content = recorder.content
    read_prompt = getattr(surface, "prompt", None) if content is not None else None  # inference surfaces only

    def begin(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Invocation | None:
        if _inside_call.get() or not is_instrumentation_enabled():
            return None
        sent = dict(kwargs)  # a surface may add to this call's own kwargs (e.g. include_usage): undone if we fail
        try:
            request = surface.request(instance, args, kwargs)
            if read_prompt is not None:
                content.read_prompt(request, read_prompt, instance, args, kwargs)  # type: ignore[union-attr]
            return recorder.start(request, kwargs)
        except Exception as exc:  # noqa: BLE001
            if kwargs != sent:
                kwargs.clear()
                kwargs.update(sent)
            internal_error("request", exc)
            return None

    def failed(invocation: Invocation, exc: BaseException) -> None:
        try:
            recorder.finish(invocation, None, exc)
        except Exception as inner:  # noqa: BLE001
            end_unfinished(invocation, exc)
            internal_error("error", inner)

    def succeeded(invocation: Invocation, result: Any) -> Any:
        try:
            return deliver(classify(result), result, invocation, recorder, surface, classify)
        except Exception as exc:  # noqa: BLE001
            end_unfinished(invocation)
            internal_error("response", exc)
            return result

    if target.is_async:

        async def async_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            invocation = begin(instance, args, kwargs)
            if invocation is None:
                return await wrapped(*args, **kwargs)
            token = otel_context.attach(set_span_in_context(invocation.span))
            inside = _inside_call.set(invocation)
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                failed(invocation, exc)
                raise
            finally:
                _inside_call.reset(inside)
                otel_context.detach(token)
            return succeeded(invocation, result)

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        invocation = begin(instance, args, kwargs)
        if invocation is None:
            return wrapped(*args, **kwargs)
        token = otel_context.attach(set_span_in_context(invocation.span))
        inside = _inside_call.set(invocation)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            failed(invocation, exc)
            raise
        finally:
            _inside_call.reset(inside)
            otel_context.detach(token)
        return succeeded(invocation, result)

    return wrapper


class GenAIInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Base of every provider instrumentor; subclasses supply ``_instruments`` and ``_adapter()``."""

    _instruments: Collection[str] = ()
    _current: tuple[Adapter, Recorder] | None = None  # set while instrumented

    def instrumentation_dependencies(self) -> Collection[str]:
        return self._instruments

    def _check_dependency_conflicts(self) -> Any:
        return None  # checked by _instrument, which opentelemetry-instrument runs without this check

    def _adapter(self) -> Adapter:
        raise NotImplementedError

    def _instrument(self, **kwargs: Any) -> None:
        if _out_of_range(self._instruments, type(self).__name__):
            return
        try:
            self._start(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not stop the application from starting
            internal_error("instrument", exc)

    def _start(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(semconv.SCOPE_NAME, __version__, kwargs.get("tracer_provider"),
                                  schema_url=_SCHEMA_URL)
        meter = metrics.get_meter(semconv.SCOPE_NAME, __version__, kwargs.get("meter_provider"),
                                  schema_url=_SCHEMA_URL)
        bind_meter(meter)
        per_chunk = read_choice(GENAI_OTEL_CHUNK_TIMING, ("per_stream", "per_chunk"), "per_stream") == "per_chunk"
        cost = cost_recorder(meter, kwargs.get("logger_provider"), _SCHEMA_URL)
        content = content_capture(meter, kwargs.get("logger_provider"), _SCHEMA_URL)
        adapter = self._adapter()
        extensions = start_extensions(meter, kwargs.get("logger_provider"), _SCHEMA_URL, _inside_call)
        recorder = Recorder(tracer, GenAIInstruments(meter), per_chunk=per_chunk, cost=cost, content=content,
                            extensions=extensions)
        self._patched: list[tuple[Any, str]] = []
        self._current = (adapter, recorder)
        if not getattr(self, "_hook_registered", False):
            # One post-import hook per instrumentor (they are singletons); it patches with whatever the latest
            # instrument() configured, and does nothing after uninstrument(), so no stale recorder survives.
            self._hook_registered = True
            wrapt.register_post_import_hook(self._on_sdk_import, adapter.package)
        elif adapter.package in sys.modules:
            self._on_sdk_import(sys.modules[adapter.package])

    def _on_sdk_import(self, _module: Any) -> None:
        current = getattr(self, "_current", None)
        if current is not None:
            try:
                self._patch_targets(*current)
            except Exception as exc:  # noqa: BLE001 - runs inside the application's ``import`` of the SDK
                internal_error("instrument.patch", exc)

    def _patch_targets(self, adapter: Adapter, recorder: Recorder) -> None:
        for target in adapter.targets():
            try:
                module = importlib.import_module(target.module)
                owner_path, _, attribute = target.method.rpartition(".")
                owner = module
                for part in owner_path.split(".") if owner_path else ():
                    owner = getattr(owner, part)
            except (ImportError, AttributeError):
                _logger.debug("genai-otel: %s.%s not in this SDK version; skipped", target.module, target.method)
                continue
            if not hasattr(owner, attribute):
                _logger.debug("genai-otel: %s.%s not in this SDK version; skipped", target.module, target.method)
                continue
            current = vars(owner).get(attribute) if isinstance(owner, type) else getattr(owner, attribute)
            if getattr(getattr(current, "_self_wrapper", None), "genai_otel_wrapper", False):
                continue  # already wrapped by us (the import hook fired twice)
            try:
                wrapper = _make_wrapper(target, adapter, recorder)
                if target.wrap is not None:
                    wrapper = target.wrap(wrapper)
                wrapper.genai_otel_wrapper = True  # type: ignore[attr-defined]
                wrapt.wrap_function_wrapper(owner, attribute, wrapper)
            except Exception as exc:  # noqa: BLE001 - this target stays unpatched; the others are patched
                internal_error("instrument.patch", exc)
                continue
            self._patched.append((owner, attribute))

    def _uninstrument(self, **kwargs: Any) -> None:
        if getattr(self, "_current", None) is not None:
            stop_extensions()
        self._current = None
        for owner, attribute in getattr(self, "_patched", ()):
            unwrap(owner, attribute)
        self._patched = []


def _out_of_range(requirements: Collection[str], instrumentor: str) -> bool:
    """True, after one warning, when the SDK is installed at a version outside ``requirements``.

    ``BaseInstrumentor.instrument()`` checks this itself, but ``opentelemetry-instrument`` loads instrumentors with
    ``skip_dep_check=True`` and only checks a package's ``instruments`` extras, so the check lives here, once.
    Not installed at all: False (nothing is patched until it is imported, and it never is).
    """
    conflict = get_dependency_conflicts(list(requirements))
    if conflict is None or not getattr(conflict, "found", None):
        return False
    _logger.warning("genai-otel: %s is installed, outside the range %s supports (%s): not instrumented, so its "
                    "calls are not traced (the application runs as usual)", conflict.found, instrumentor,
                    conflict.required)
    return True

