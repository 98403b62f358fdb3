"""Running hooks without letting them reach the application (see ``genai_otel.hooks`` for the contract).

Sync hooks: one job per phase of a call on a small pool of daemon threads, run in a copy of the caller's context;
the caller waits for the job at most the time budget. Async hooks: tasks on genai-otel's own event loop (one daemon
thread), never awaited by the call. Not on the caller's loop: a hook's CPU work between awaits would stall the
application's loop, and ``asyncio.run()`` ending (a script, a request handled by its own loop) would cancel hooks
still running. At interpreter exit, hooks still running get up to ``EXIT_WAIT_S`` to finish.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.recorder import error_type_of
from genai_otel.hooks import CallView, Hook, _Seal

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter

__all__ = ["EXIT_WAIT_S", "HookRunner", "current_view", "in_hook", "wait_idle"]

_logger = logging.getLogger("genai_otel")

_in_hook: contextvars.ContextVar[bool] = contextvars.ContextVar("genai_otel_in_hook", default=False)
_current_view: contextvars.ContextVar[CallView | None] = contextvars.ContextVar("genai_otel_hook_view", default=None)


def in_hook() -> bool:
    """True inside a hook (calls made there run no hooks)."""
    return _in_hook.get()


def current_view() -> CallView | None:
    """The call the running hook is about (``record_evaluation`` links to it)."""
    return _current_view.get()


# --- failures: counted and logged once per (hook, phase, kind) ---

_logged: set[tuple[str, str, str]] = set()
_logged_lock = threading.Lock()


class _Failures:
    __slots__ = ("counter",)

    def __init__(self, meter: Meter) -> None:
        self.counter: Any = meter.create_counter(
            sc.METRIC_HOOK_FAILURES, unit="{error}",
            description="Hook runs that raised, overran their time budget or were skipped.")
        self.counter.add(0)  # exists at 0 from the start, for alerting

    def __call__(self, hook: Hook, phase: str, kind: str, exc: BaseException | None = None) -> None:
        try:
            self.counter.add(1, {sc.EXTRA_HOOK_NAME: hook.name, sc.EXTRA_HOOK_PHASE: phase, sc.ERROR_TYPE: kind})
        except Exception as inner:  # noqa: BLE001
            internal_error("hook.count", inner)
        key = (hook.name, phase, kind)
        with _logged_lock:
            if key in _logged:
                return
            _logged.add(key)
        _logger.warning("genai-otel: %s hook %s: %s (the application is not affected; further ones are counted in %s,"
                        " not logged)", phase, hook.name, _MESSAGES.get(kind, f"raised {kind}"),
                        sc.METRIC_HOOK_FAILURES, exc_info=exc)


_MESSAGES = {
    "timeout": "overran its time budget; its later writes are ignored and it is skipped until it returns",
    "skipped": "skipped, as its previous run has not returned yet",
    "overloaded": "not run: the hook threads are saturated",
    "cancelled": "async hook cancelled",
}


# --- the sync hook threads ---

class _Job:
    __slots__ = ("run", "done")

    def __init__(self, run: Callable[[], None]) -> None:
        self.run = run
        self.done = threading.Event()


class _Pool:
    """Up to ``size`` daemon threads (started on demand) taking jobs from one queue; rebuilt in a forked child."""

    def __init__(self, size: int = 8, backlog: int = 10_000) -> None:
        self._size = size
        self._backlog = backlog
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._pending = 0

    def submit(self, run: Callable[[], None]) -> _Job | None:
        """Queue ``run``; None when the backlog is full."""
        job = _Job(run)
        with self._lock:
            if self._pending >= self._backlog:
                return None
            self._pending += 1
            start = self._pending > self._idle and self._threads < self._size
            if start:
                self._threads += 1
                name = f"genai-otel-hooks-{self._threads}"
        if start:
            threading.Thread(target=self._work, name=name, daemon=True).start()
        self._queue.put(job)
        return job

    def _work(self) -> None:
        get = self._queue.get
        lock = self._lock
        while True:
            with lock:
                self._idle += 1
            job = get()
            with lock:
                self._idle -= 1
                self._pending -= 1
            try:
                job.run()
            except BaseException as exc:  # noqa: BLE001 - the runner catches hook errors; this would be our own bug
                internal_error("hook.thread", exc)
            finally:
                job.done.set()
                del job  # not kept until the next job: it holds the call's view, and through it the SDK's result


_pool = _Pool()


# --- the event loop of async hooks ---

EXIT_WAIT_S = 5.0
"""At interpreter exit, how long to wait for async hooks still running (e.g. an LLM judge of the last call)."""

_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_tasks: set[asyncio.Task[Any]] = set()
_idle = threading.Condition()
_running = 0


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="genai-otel-async-hooks", daemon=True).start()
            _loop = loop
            atexit.register(_wait_at_exit)  # after the SDK providers registered theirs: runs before they shut down
        return _loop


def _started() -> None:
    global _running
    with _idle:
        _running += 1


def _finished() -> None:
    global _running
    with _idle:
        _running -= 1
        if not _running:
            _idle.notify_all()


def wait_idle(timeout: float) -> bool:
    """Wait until no async hook is running (at most ``timeout`` s); True if none is."""
    with _idle:
        return _idle.wait_for(lambda: not _running, timeout)


def _wait_at_exit() -> None:
    wait_idle(EXIT_WAIT_S)


def _after_fork() -> None:
    global _loop, _pool, _running
    _loop = None
    _tasks.clear()
    _running = 0
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class HookRunner:
    """Runs the registered hooks of one instrumentor's calls."""

    __slots__ = ("_registry", "_failures", "_timeout", "_async_timeout", "_inside_call")

    def __init__(self, registry: Any, meter: Meter, timeout_s: float, async_timeout_s: float,
                 inside_call: contextvars.ContextVar[Any]) -> None:
        self._registry = registry
        self._failures = _Failures(meter)
        self._timeout = timeout_s
        self._async_timeout = async_timeout_s
        self._inside_call = inside_call

    def run(self, phases: list[tuple[str, Callable[[_Seal], CallView]]], span: Any) -> None:
        """Run the hooks of ``phases`` (in order; each a phase name and a view factory) for one call."""
        registry = self._registry
        sync = [(phase, hook, make) for phase, make in phases for hook in registry.sync[phase]]
        if sync:
            self._run_sync(sync, span)
        for phase, make in phases:
            hooks = registry.asynchronous[phase]
            if hooks:
                view = make(_Seal(False))
                for hook in hooks:
                    self._schedule(hook, phase, view, span)

    # --- sync ---
    def _run_sync(self, hooks: list[tuple[str, Hook, Callable[[_Seal], CallView]]], span: Any) -> None:
        seal = _Seal(True)
        views: dict[str, CallView] = {}
        jobs: list[tuple[str, Hook, CallView]] = []
        for phase, hook, make in hooks:
            view = views.get(phase)
            if view is None:
                view = views[phase] = make(seal)
            jobs.append((phase, hook, view))
        context = contextvars.copy_context()
        job = _pool.submit(lambda: context.run(self._run_jobs, jobs, seal, span))
        if job is None:
            for phase, hook, _ in jobs:
                self._failures(hook, phase, "overloaded")
            return
        if job.done.wait(self._timeout):
            return
        with seal.lock:
            seal.open = False
            seal.cancelled = True
            late = seal.running
            if late is not None:
                late.running_late = True
        if late is not None:
            self._failures(late, next(p for p, h, _ in jobs if h is late), "timeout")

    def _run_jobs(self, jobs: list[tuple[str, Hook, CallView]], seal: _Seal, span: Any) -> None:
        self._enter(span)
        failures = self._failures
        for phase, hook, view in jobs:
            with seal.lock:
                if seal.cancelled or hook.running_late:
                    skip = True
                else:
                    skip = False
                    seal.running = hook
            if skip:
                failures(hook, phase, "skipped")
                continue
            token = _current_view.set(view)
            try:
                hook.fn(view)
            except BaseException as exc:  # noqa: BLE001 - whatever a hook raises stays here, sys.exit() included
                failures(hook, phase, error_type_of(exc), exc)
            finally:
                _current_view.reset(token)
                with seal.lock:
                    seal.running = None
                    if seal.cancelled:
                        hook.running_late = False  # the late run has returned: the hook runs again from now on

    def _enter(self, span: Any) -> None:
        """Inside the copied context: no call of ours is running here, we are in a hook, the call's span is current."""
        self._inside_call.set(False)
        _in_hook.set(True)
        otel_context.attach(trace.set_span_in_context(span))

    # --- async ---
    def _schedule(self, hook: Hook, phase: str, view: CallView, span: Any) -> None:
        loop = _background_loop()
        _started()
        try:
            loop.call_soon_threadsafe(self._start_task, loop, hook, phase, view, span,
                                      context=contextvars.copy_context())
        except RuntimeError:  # the loop is closed (interpreter exit)
            _finished()
            self._failures(hook, phase, "cancelled")

    def _start_task(self, loop: asyncio.AbstractEventLoop, hook: Hook, phase: str, view: CallView,
                    span: Any) -> None:
        try:
            self._enter(span)
            _current_view.set(view)
            task = loop.create_task(self._run_async(hook, phase, view))
        except Exception as exc:  # noqa: BLE001
            _finished()
            internal_error("hook.schedule", exc)
            return
        _tasks.add(task)
        task.add_done_callback(_done)

    async def _run_async(self, hook: Hook, phase: str, view: CallView) -> None:
        """One async hook, with its timeout; whatever it raises is counted here."""
        try:
            raised = await asyncio.wait_for(_guarded(hook.fn, view), self._async_timeout)
        except asyncio.TimeoutError:
            self._failures(hook, phase, "timeout")
        except asyncio.CancelledError:
            self._failures(hook, phase, "cancelled")
        except Exception as exc:  # noqa: BLE001
            self._failures(hook, phase, error_type_of(exc), exc)
        else:
            if raised is not None:
                self._failures(hook, phase, error_type_of(raised), raised)


async def _guarded(fn: Callable[[CallView], Any], view: CallView) -> BaseException | None:
    """Await one async hook; what it raises is returned (``wait_for`` runs this as a task of its own, and a
    ``SystemExit`` escaping a task stops the event loop), cancellation excepted."""
    try:
        await fn(view)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # noqa: BLE001 - sys.exit() in a hook included
        return exc
    return None


def _done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    _finished()
