"""Many calls through every way a call or stream can end, and what they leave behind.

Shared by ``benchmarks/leaks.py`` (100,000 calls, a table of figures and a verdict) and
``tests/hardening/test_leaks.py`` (a short run with exact assertions). Both instrument the real ``openai`` and
``anthropic`` SDKs, talking over HTTP to the bundled fake LLM server in this process.

Call kinds (``KINDS``): for each SDK, sync and async, a stream

- ``consumed`` to its end (ending ``completed``),
- ``broken`` by the server mid-stream (``break_after``; ending ``error``, the SDK raises),
- ``closed`` after two chunks (ending ``closed``),
- ``left`` early through ``with`` / ``async with`` (ending ``closed``),
- ``abandoned``: dropped after one chunk, never closed (ending ``abandoned``, from the proxy's ``__del__``),
- ``failed``: the request gets an HTTP error status (no stream is made, no ending),

and a non-streamed call that succeeds (``call``) or fails with an HTTP error (``call.failed``). ``Run.call(i)`` makes
call ``i`` of the cycle and notes what the application saw (the ending the kind must leave on its span and the
exception it caught); ``EndingTally`` notes what the spans say, so the two can be compared call for call.

``sample()`` waits for hooks still running, collects, and measures what is left: open spans, live objects of
genai-otel's own types and functions (``genai_otel.testing`` excluded: that is the fake server and test tooling), all
objects the collector tracks by type, and the resident set size, raw and after ``malloc_trim``. ``leaked()`` compares
two samples: any of genai-otel's types whose count changed, but for the entries of a documented bounded cache
(``BOUNDED``) still within its bound.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from genai_otel.genai.evaluation import RESPONSE_INDEX_SIZE
from genai_otel.testing.open_spans import OpenSpanTracker
from tests.hardening._scenarios import CLAUDE, MESSAGES, MODEL, Clients, EveryPhaseHooks, directives

ENDING = "genai_otel.stream.ending"
ERROR_TYPE = "error.type"
STEPS_ON: dict[str, str] = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT"}
"""Message content on spans and in events (cost is always on; hooks are added by ``every_hook_phase``)."""

_FAIL_STATUS = {"openai": 429, "anthropic": 529}


@dataclass(frozen=True)
class Kind:
    """One way a call ends: what the application does, and the stream ending its span must carry."""

    name: str
    ending: str | None
    raises: bool
    run: Callable[[Run], Any]


class Run:
    """Makes the calls: sync clients reused, async ones made once on one event loop that lives as long as the run."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self.loop = asyncio.new_event_loop()
        self.async_openai = clients.async_openai()
        self.async_anthropic = clients.async_anthropic()
        self.expected: Counter[tuple[str | None, str | None]] = Counter()
        """(ending, error type) each call's span must carry, from what the application did and caught."""
        self.calls = 0
        self.first_snapshot: tracemalloc.Snapshot | None = None

    def call(self, index: int) -> Kind:
        """Make call ``index`` (its kind: ``KINDS[index % len(KINDS)]``)."""
        kind = KINDS[index % len(KINDS)]
        caught: BaseException | None = None
        try:
            kind.run(self)
        except Exception as exc:  # noqa: BLE001 - the kinds that fail say so; anything else is re-raised below
            caught = exc
        if (caught is not None) != kind.raises:
            raise AssertionError(f"{kind.name}: the application caught {caught!r}") from caught
        self.expected[(kind.ending, _public_name(caught) if caught is not None else None)] += 1
        self.calls += 1
        return kind

    def run_async(self, coroutine: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def settle(self) -> None:
        """Wait for hooks still running (one that overran its budget on a busy machine still holds its call's view),
        let the loop finish what collected async generators scheduled (their ``aclose``), collect."""
        _hooks_idle()
        gc.collect()
        for _ in range(3):
            self.loop.run_until_complete(asyncio.sleep(0))
        gc.collect()

    def close(self) -> None:
        self.run_async(self.async_openai.close())
        self.run_async(self.async_anthropic.close())
        self.settle()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def _hooks_idle(timeout_s: float = 30.0) -> None:
    """Until genai-otel's hook threads have no job queued or running (and no async hook runs), at most ``timeout_s``."""
    from genai_otel.genai import _hook_runner

    deadline = time.monotonic() + timeout_s
    pool = _hook_runner._pool
    while time.monotonic() < deadline:
        with pool._lock:
            if pool._pending == 0 and pool._idle == pool._threads:
                break
        time.sleep(0.01)
    _hook_runner.wait_idle(max(0.0, deadline - time.monotonic()))


def _public_name(exc: BaseException) -> str:
    """``package.Class`` (the SDKs re-export their exceptions at the top; so does httpx2)."""
    cls = type(exc)
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


# --- what the application does ---------------------------------------------------------------------------------

def _create(provider: str, client: Any, stream: bool, **extra: Any) -> Any:
    if provider == "openai":
        return client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=stream, **extra)
    return client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=stream, **extra)


def _sync_kinds(provider: str) -> list[Kind]:
    def client(run: Run) -> Any:
        return run.clients.openai() if provider == "openai" else run.clients.anthropic()

    def consumed(run: Run) -> None:
        for _ in _create(provider, client(run), True, **directives(chunks=6)):
            pass

    def broken(run: Run) -> None:
        for _ in _create(provider, client(run), True, **directives(chunks=20, break_after=2)):
            pass

    def closed(run: Run) -> None:
        stream = _create(provider, client(run), True, **directives(chunks=20))
        next(stream)
        next(stream)
        stream.close()

    def left(run: Run) -> None:
        with _create(provider, client(run), True, **directives(chunks=20)) as stream:
            next(iter(stream))

    def abandoned(run: Run) -> None:
        stream = _create(provider, client(run), True, **directives(chunks=20))
        next(stream)
        del stream  # no close: the proxy is dropped here, the SDK's stream whenever the collector gets to it

    def failed(run: Run) -> None:
        _create(provider, client(run), True, **directives(status=_FAIL_STATUS[provider]))

    def call(run: Run) -> None:
        _create(provider, client(run), False)

    def call_failed(run: Run) -> None:
        _create(provider, client(run), False, **directives(status=500))

    return _kinds(provider, "sync", consumed, broken, closed, left, abandoned, failed, call, call_failed)


def _async_kinds(provider: str) -> list[Kind]:
    def client(run: Run) -> Any:
        return run.async_openai if provider == "openai" else run.async_anthropic

    async def consumed(run: Run) -> None:
        async for _ in await _create(provider, client(run), True, **directives(chunks=6)):
            pass

    async def broken(run: Run) -> None:
        async for _ in await _create(provider, client(run), True, **directives(chunks=20, break_after=2)):
            pass

    async def closed(run: Run) -> None:
        stream = await _create(provider, client(run), True, **directives(chunks=20))
        await stream.__anext__()
        await stream.__anext__()
        await stream.close()

    async def left(run: Run) -> None:
        async with await _create(provider, client(run), True, **directives(chunks=20)) as stream:
            await stream.__anext__()

    async def abandoned(run: Run) -> None:
        stream = await _create(provider, client(run), True, **directives(chunks=20))
        await stream.__anext__()
        del stream

    async def failed(run: Run) -> None:
        await _create(provider, client(run), True, **directives(status=_FAIL_STATUS[provider]))

    async def call(run: Run) -> None:
        await _create(provider, client(run), False)

    async def call_failed(run: Run) -> None:
        await _create(provider, client(run), False, **directives(status=500))

    def sync(fn: Callable[[Run], Awaitable[None]]) -> Callable[[Run], None]:
        return lambda run: run.run_async(fn(run))

    return _kinds(provider, "async", *(sync(fn) for fn in (consumed, broken, closed, left, abandoned, failed, call,
                                                            call_failed)))


def _kinds(provider: str, mode: str, *runs: Callable[[Run], Any]) -> list[Kind]:
    shapes = (("stream.consumed", "completed", False), ("stream.broken", "error", True),
              ("stream.closed", "closed", False), ("stream.left", "closed", False),
              ("stream.abandoned", "abandoned", False), ("stream.failed", None, True),
              ("call", None, False), ("call.failed", None, True))
    return [Kind(f"{provider}.{mode}.{name}", ending, raises, run)
            for (name, ending, raises), run in zip(shapes, runs, strict=True)]


KINDS: tuple[Kind, ...] = tuple(_sync_kinds("openai") + _async_kinds("openai") + _sync_kinds("anthropic")
                                + _async_kinds("anthropic"))


# --- what the spans say ---------------------------------------------------------------------------------------------

class EndingTally(SpanProcessor):
    """Counts ended spans by (``genai_otel.stream.ending``, ``error.type``); keeps nothing else."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str | None, str | None]] = Counter()

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes or {}
        ending, error_type = attributes.get(ENDING), attributes.get(ERROR_TYPE)
        self.seen[(ending if isinstance(ending, str) else None,
                   error_type if isinstance(error_type, str) else None)] += 1

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@contextmanager
def every_hook_phase() -> Iterator[None]:
    from genai_otel import add_hook

    handle = add_hook(EveryPhaseHooks(), name="leaks")
    try:
        yield
    finally:
        handle.remove()


# --- what is left ---------------------------------------------------------------------------------------------------

def live_objects() -> tuple[Counter[str], Counter[str]]:
    """Objects the collector tracks, by type: genai-otel's own (its classes, and functions defined in its modules, so
    closures made per call would show; ``genai_otel.testing``, the fake server and span tracker, left out), and all
    of them by type name."""
    ours: Counter[str] = Counter()
    every: Counter[type] = Counter()
    for obj in gc.get_objects():
        cls = type(obj)
        module = obj.__module__ if cls is FunctionType else cls.__module__
        if isinstance(module, str) and module.startswith("genai_otel") and not module.startswith("genai_otel.testing"):
            ours[f"function {module}.{obj.__qualname__}" if cls is FunctionType else
                 f"{module}.{cls.__qualname__}"] += 1
        every[cls] += 1
    return ours, Counter({f"{cls.__module__}.{cls.__qualname__}": count for cls, count in every.items()})


def malloc_trim() -> bool:
    """Hand the C allocator's free memory back to the system (glibc's ``malloc_trim``); False where there is none.

    glibc keeps freed memory in its arenas, one more arena whenever threads contend for one (up to 8 per CPU), so the
    resident size steps up by megabytes at moments that depend on thread timing, and stays there though nothing is
    live in it. Trimmed, it measures what is in use."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def rss_kib() -> int:
    """Resident set size, from ``/proc/self/status`` (``VmRSS``); 0 where there is no such file."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Sample:
    calls: int
    seconds: float
    open_spans: int
    ours: Counter[str]
    every: Counter[str]
    rss_kib: int
    trimmed_rss_kib: int | None
    traced_kib: int | None = None
    top: list[str] = field(default_factory=list)

    @property
    def gc_objects(self) -> int:
        return sum(self.every.values())


def sample(run: Run, tracker: OpenSpanTracker, started: float, scope: str | None = None) -> Sample:
    run.settle()
    traced = top = None
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        traced = sum(stat.size for stat in snapshot.statistics("filename")) // 1024
        if run.first_snapshot is None:
            run.first_snapshot = snapshot
        top = [str(stat) for stat in snapshot.compare_to(run.first_snapshot, "lineno")[:8]]
    ours, every = live_objects()
    rss = rss_kib()
    trimmed = rss_kib() if malloc_trim() else None
    return Sample(run.calls, time.monotonic() - started, len(tracker.open_spans(scope)), ours, every, rss, trimmed,
                  traced, top or [])


def grown(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    """Types whose live count changed between two samples, with the change."""
    return {name: after[name] - before[name] for name in sorted(set(before) | set(after))
            if after[name] != before[name]}


BOUNDED: dict[str, int] = {"genai_otel.genai.evaluation._Call": RESPONSE_INDEX_SIZE}
"""genai-otel's bounded caches, by the type of their entries, and their documented bounds. The only one: the index of
the last 4,096 calls' response ids (``record_evaluation(response_id=...)`` finds the call's span through it), one
``_Call`` per entry; 24 of the 32 kinds get a response id, so it fills after ~5,500 calls."""


def leaked(base: Sample, last: Sample) -> dict[str, int]:
    """genai-otel's types whose live count changed from ``base`` to ``last`` (the entries of a bounded cache within
    its bound excepted), with the change."""
    return {name: change for name, change in grown(base.ours, last.ours).items()
            if not (name in BOUNDED and last.ours[name] <= BOUNDED[name])}
