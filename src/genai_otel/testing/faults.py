"""Fault injection for genai-otel's own code: make one step raise, and check that the application never notices.

::

    from genai_otel.testing.faults import inject, steps_called

    found = steps_called(lambda: client.chat.completions.create(**call))   # genai-otel's steps one call runs
    for step in found.steps:
        with inject(step) as fault:                      # that step now raises InjectedFault
            result = client.chat.completions.create(**call)
        assert fault.raised                              # it was reached, and raised
        # ... result is what the call returns uninstrumented; the internal-error counter went up; no span is open

A *step* is a function or method that genai-otel defines (a module function, a method, a static or class method,
a property) and that an instrumented call runs. ``inject`` replaces it, everywhere genai-otel's modules hold it (a
function imported by name into another module is replaced there too), by one that raises :class:`InjectedFault`,
and puts the original back when the block ends. Nothing is patched unless a test asks, so production code pays
nothing for this. ``steps_called`` finds the steps by running the call once under a profiler, so steps that are
added to the code later are found without anyone listing them.

:data:`GUARD_LAYER` names the functions that are not steps: they run in the application's own frames (the stream
proxies' iteration and context-manager methods, the SDK-level wrappers) or *are* the guard (``internal_error``), so
no guard can sit around them. They must stay small, and guard everything they call.
"""

from __future__ import annotations

import inspect
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["GUARD_LAYER", "FoundSteps", "InjectedFault", "Injection", "Step", "find_step", "inject",
           "internal_errors_swallowed", "steps_called"]

_PACKAGE = "genai_otel"
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
_TESTING_DIR = str(Path(__file__).resolve().parent)

GUARD_LAYER: dict[str, str] = {
    "genai_otel.genai._safety.internal_error": "the guard itself",
    # The stream proxies: the application calls these directly, so they are its own frames.
    "genai_otel.genai.stream.SyncStreamProxy.__iter__": "the application's iteration",
    "genai_otel.genai.stream.SyncStreamProxy.__next__": "the application's iteration",
    "genai_otel.genai.stream.SyncStreamProxy.__enter__": "the application's with block",
    "genai_otel.genai.stream.SyncStreamProxy.__exit__": "the application's with block",
    "genai_otel.genai.stream.SyncStreamProxy.close": "the application's close()",
    "genai_otel.genai.stream.AsyncStreamProxy.__aiter__": "the application's iteration",
    "genai_otel.genai.stream.AsyncStreamProxy.__anext__": "the application's iteration",
    "genai_otel.genai.stream.AsyncStreamProxy.__aenter__": "the application's with block",
    "genai_otel.genai.stream.AsyncStreamProxy.__aexit__": "the application's with block",
    "genai_otel.genai.stream.AsyncStreamProxy.close": "the application's close()",
    "genai_otel.genai.stream._StreamProxyBase.response": "the application's (or SDK helper's) attribute read",
    "genai_otel.genai.stream._StreamProxyBase.__del__": "the garbage collector's call",
    "genai_otel.genai.stream._ClosingResponse.close": "the SDK helper's close()",
    "genai_otel.genai.stream._ClosingResponse.aclose": "the SDK helper's close()",
    "genai_otel.genai.stream._ending_of": "evaluated in the proxies' except clause, before the guard",
    "genai_otel.genai.stream.StreamState.on_chunk": "the guard of the per-chunk steps, called by __next__",
    "genai_otel.genai.stream.StreamState.finalize": "the guard of the end-of-stream steps, called by the proxies",
    # Raw-response proxies: the same, for with_raw_response / with_streaming_response.
    "genai_otel.instrumentation._results.RawResponseProxy.parse": "the application's parse()",
    "genai_otel.instrumentation._results.RawResponseProxy.close": "the application's close()",
    "genai_otel.instrumentation._results.RawResponseProxy.__del__": "the garbage collector's call",
    "genai_otel.instrumentation._results.AsyncRawResponseProxy.parse": "the application's parse()",
    "genai_otel.instrumentation._results.AsyncRawResponseProxy.close": "the application's close()",
    "genai_otel.instrumentation._results.AsyncRawResponseProxy.__del__": "the garbage collector's call",
    "genai_otel.instrumentation._results._ParseWatcher.parsed": "the guard of parse(), called by the proxies",
    "genai_otel.instrumentation._results._ParseWatcher.closed": "the guard of close(), called by the proxies",
    # Wrappers installed on SDK functions: they run in the application's frame, around the SDK's own code.
    "genai_otel.instrumentation.anthropic._stream_types._see_through": "the application's isinstance()",
    "genai_otel.instrumentation.anthropic._stream_helper._DeferredRequest.__await__": "the application's await",
    "genai_otel.instrumentation.anthropic._stream_helper.defer_request": "builds the wrapper (instrument time)",
    "genai_otel.instrumentation._http_attempts._guarded_note": "the guard of the HTTP-attempt notes",
    "genai_otel.instrumentation._http_attempts._current": "evaluated in the HTTP send wrapper, before its guard",
}
"""Qualified names of the functions that are not fault points, and why (see the module docstring)."""


@contextmanager
def internal_errors_swallowed() -> Iterator[None]:
    """Production behaviour of the guard (log once, count, swallow) for the block, in a process that re-raises
    internal errors (``GENAI_OTEL_RAISE_INTERNAL_ERRORS=true``, as the test suite runs)."""
    from genai_otel.genai import _safety

    was = _safety._raise
    _safety.raise_internal_errors(False)
    try:
        yield
    finally:
        _safety.raise_internal_errors(was)


class InjectedFault(Exception):  # noqa: N818 - it is not an error of the code under test, but one we made
    """Raised by a step that :func:`inject` made fail."""


@dataclass(frozen=True)
class Step:
    """One genai-otel function or method, and every (owner, attribute) that holds it."""

    name: str
    """Qualified name, e.g. ``genai_otel.instrumentation.openai.adapter.ChatSurface.request``."""
    sites: tuple[tuple[Any, str, Any], ...] = field(repr=False, compare=False)
    """``(owner, attribute, value as found)``: a module or class, the attribute name, the original value."""
    is_async: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return self.name


@dataclass
class Injection:
    """What happened while a step was made to fail."""

    step: Step
    raised: int = 0
    """How many times the step was reached (and raised)."""


@dataclass
class FoundSteps:
    """The outcome of :func:`steps_called`."""

    steps: list[Step]
    """Fault points, in the order the call first reached them."""
    guards: list[str]
    """Functions of :data:`GUARD_LAYER` the call ran."""
    unpatchable: list[str]
    """genai-otel code the call ran that no attribute holds (closures, lambdas, comprehensions, generated code)."""
    paths: dict[str, frozenset[tuple[str, ...]]] = field(default_factory=dict)
    """For each step, the genai-otel frames above it each time it ran (outermost first): the guards it ran under."""


def _our_modules() -> list[types.ModuleType]:
    return [module for name, module in list(sys.modules.items())
            if module is not None and (name == _PACKAGE or name.startswith(_PACKAGE + "."))
            and not name.startswith(_PACKAGE + ".testing")]


def _unwrapped_function(value: Any) -> types.FunctionType | None:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    elif isinstance(value, property):
        value = value.fget
    if value is None or not callable(value):
        return None
    try:
        value = inspect.unwrap(value)
    except ValueError:
        return None
    return value if isinstance(value, types.FunctionType) else None


def _ours(function: types.FunctionType) -> bool:
    return function.__code__.co_filename.startswith(_PACKAGE_DIR) and not _in_testing(function.__code__)


def _in_testing(code: types.CodeType) -> bool:
    return code.co_filename.startswith(_TESTING_DIR)


def _classes_in(owner: Any, seen: set[int]) -> Iterator[type]:
    for value in list(vars(owner).values()):
        if isinstance(value, type) and id(value) not in seen and value.__module__.startswith(_PACKAGE):
            seen.add(id(value))
            yield value
            yield from _classes_in(value, seen)


def _index() -> dict[types.CodeType, tuple[str, list[tuple[Any, str, Any]]]]:
    """Every code object genai-otel's modules and classes hold, with its qualified name and its sites."""
    index: dict[types.CodeType, tuple[str, list[tuple[Any, str, Any]]]] = {}

    def add(owner: Any, attribute: str, value: Any) -> None:
        function = _unwrapped_function(value)
        if function is None or not _ours(function):
            return
        entry = index.get(function.__code__)
        if entry is None:
            entry = index[function.__code__] = (f"{function.__module__}.{function.__qualname__}", [])
        entry[1].append((owner, attribute, value))

    seen: set[int] = set()
    for module in _our_modules():
        for attribute, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType):
                add(module, attribute, value)
        for cls in _classes_in(module, seen):
            for attribute, value in list(vars(cls).items()):
                add(cls, attribute, value)
    return index


def steps_called(run: Callable[[], Any]) -> FoundSteps:
    """Run ``run()`` once under a profiler; return the genai-otel steps it reached (its result is discarded)."""
    reached: dict[types.CodeType, set[tuple[types.CodeType, ...]]] = {}

    def profile(frame: types.FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith(_PACKAGE_DIR) and not _in_testing(code):
                above = []
                outer = frame.f_back
                while outer is not None:
                    if outer.f_code.co_filename.startswith(_PACKAGE_DIR) and not _in_testing(outer.f_code):
                        above.append(outer.f_code)
                    outer = outer.f_back
                reached.setdefault(code, set()).add(tuple(reversed(above)))

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)
    index = _index()
    steps: list[Step] = []
    guards: list[str] = []
    unpatchable: list[str] = []
    paths: dict[str, frozenset[tuple[str, ...]]] = {}
    for code, stacks in reached.items():
        entry = index.get(code)
        if entry is None:
            unpatchable.append(_where(code))
            continue
        name, sites = entry
        if name in GUARD_LAYER:
            guards.append(name)
            continue
        steps.append(Step(name, tuple(sites), inspect.iscoroutinefunction(_unwrapped_function(sites[0][2]))))
        paths[name] = frozenset(tuple(_where(outer) for outer in stack) for stack in stacks)
    return FoundSteps(steps, guards, unpatchable, paths)


def _where(code: types.CodeType) -> str:
    return (f"{code.co_filename.removeprefix(_PACKAGE_DIR + '/')}:{code.co_firstlineno} "
            f"{getattr(code, 'co_qualname', code.co_name)}")


def find_step(name: str) -> Step:
    """The step with this qualified name (its module must be imported), e.g. for a test that targets one step."""
    for qualified, sites in _index().values():
        if qualified == name:
            return Step(name, tuple(sites), inspect.iscoroutinefunction(_unwrapped_function(sites[0][2])))
    raise LookupError(f"no genai-otel function or method named {name!r} is loaded")


def _replacement(original: Any, step: Step, injection: Injection) -> Any:
    message = f"fault injected into {step.name}"

    if step.is_async:
        async def fail_async(*_args: Any, **_kwargs: Any) -> Any:
            injection.raised += 1
            raise InjectedFault(message)
        failing: Callable[..., Any] = fail_async
    else:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            injection.raised += 1
            raise InjectedFault(message)
        failing = fail

    if isinstance(original, staticmethod):
        return staticmethod(failing)
    if isinstance(original, classmethod):
        return classmethod(failing)
    if isinstance(original, property):
        return property(failing, original.fset, original.fdel, original.__doc__)
    return failing


@contextmanager
def inject(step: Step | str) -> Iterator[Injection]:
    """Make ``step`` raise :class:`InjectedFault` wherever it is called, until the block ends."""
    if isinstance(step, str):
        step = find_step(step)
    injection = Injection(step)
    for owner, attribute, original in step.sites:
        setattr(owner, attribute, _replacement(original, step, injection))
    try:
        yield injection
    finally:
        for owner, attribute, original in step.sites:
            setattr(owner, attribute, original)
