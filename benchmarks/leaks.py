"""Leaks: many calls through every stream ending leave no open span, no live objects of ours, flat memory.

    python benchmarks/leaks.py [--calls 100000] [--warmup 6000] [--checkpoints 10] [--rss-bound-mib 5]
                               [--server thread|process] [--uninstrumented] [--tracemalloc]

The real ``openai`` and ``anthropic`` SDKs, sync and async, call the bundled fake LLM server (in this process by
default), cycling through 32 kinds of call (``tests/hardening/_leaks.py``): streams consumed, broken by the server
mid-stream, closed early, left early through ``with``, abandoned (dropped unclosed), failed with an HTTP error status,
and non-streamed calls that succeed or fail. Every optional step is on: message content on spans and in events,
cost, a user hook on every phase. Spans go to an SDK TracerProvider (a BatchSpanProcessor feeding an exporter that
drops them), content events to an SDK LoggerProvider (the same), metrics to an in-memory reader collected every
1,000 calls. Internal errors are swallowed and counted, as in production.

After the warm-up (6,000 calls fill the one bounded cache, the 4,096-entry response-id index) and at each checkpoint,
hooks still running are waited for, a full collection runs, and the script samples: open spans, live objects of
genai-otel's types and functions, every object the collector tracks, VmRSS, and VmRSS again after glibc's
``malloc_trim`` (freed memory the C allocator keeps in its per-thread arenas makes raw VmRSS step up by megabytes at
moments that depend on thread timing; trimmed, it is what is in use). The verdict (exit status 1 when it fails): no
span open at any checkpoint, every call ended exactly one span with the ending and error type the application saw,
genai-otel's live objects at the end equal, type by type, to after the warm-up, no internal error, and trimmed VmRSS
at the end within ``--rss-bound-mib`` (default 5 MiB: a leak of ~55 bytes per call over 94,000 calls) of after the
warm-up. ``--uninstrumented`` runs the same calls without genai-otel, for comparison (its span checks fail, as
there are no spans).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import _DropExporter, fake_server  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter, LogRecordExportResult  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
from tests.hardening._leaks import (  # noqa: E402
    KINDS,
    STEPS_ON,
    EndingTally,
    Run,
    Sample,
    every_hook_phase,
    grown,
    leaked,
    sample,
)
from tests.hardening._scenarios import Clients  # noqa: E402

from genai_otel.genai._safety import error_counts  # noqa: E402
from genai_otel.testing.fake_llm import FakeLLMServer  # noqa: E402
from genai_otel.testing.open_spans import OpenSpanTracker  # noqa: E402

MIB = 1024


class _DropLogs(LogRecordExporter):
    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _row(point: Sample, base: Sample | None) -> str:
    ours = sum(point.ours.values())
    trimmed = point.trimmed_rss_kib or 0
    if base is None:
        delta = ""
    else:
        delta = (f" {(point.rss_kib - base.rss_kib) / MIB:+8.2f} {(trimmed - (base.trimmed_rss_kib or 0)) / MIB:+8.2f}"
                 f" {ours - sum(base.ours.values()):+6d} {point.gc_objects - base.gc_objects:+9d}")
    traced = f" {point.traced_kib / MIB:9.2f}" if point.traced_kib is not None else ""
    return (f"{point.calls:>8,d} {point.seconds:8.1f} {point.open_spans:5d} {point.rss_kib / MIB:9.2f}"
            f" {trimmed / MIB:9.2f} {threading.active_count():4d} {ours:7d} {point.gc_objects:10,d}{traced}{delta}")


@contextmanager
def _server(where: str) -> Iterator[tuple[str, str, Callable[[], None]]]:
    """The fake server's OpenAI and Anthropic base URLs, and how to make it forget the requests it recorded."""
    if where == "process":
        with fake_server() as url:
            yield url + "/v1", url, lambda: None
    else:
        with FakeLLMServer() as server:
            yield server.openai_base_url, server.anthropic_base_url, server.clear


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls in all, warm-up included")
    parser.add_argument("--warmup", type=int, default=6_000,
                        help="calls before the baseline sample (6,000 fill the 4,096-entry response-id index)")
    parser.add_argument("--checkpoints", type=int, default=10, help="samples after the baseline, evenly spaced")
    parser.add_argument("--collect-every", type=int, default=1_000, help="calls between metric collections")
    parser.add_argument("--rss-bound-mib", type=float, default=5.0,
                        help="allowed growth of VmRSS (after malloc_trim where glibc has it) after the warm-up")
    parser.add_argument("--server", choices=("thread", "process"), default="thread",
                        help="the fake server in this process (its threads) or in its own")
    parser.add_argument("--uninstrumented", action="store_true", help="the same calls without genai-otel")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations (several times slower)")
    options = parser.parse_args()
    if options.calls <= options.warmup:
        parser.error("--calls must be more than --warmup")

    os.environ.update(STEPS_ON)
    tracker, tally = OpenSpanTracker(), EndingTally()
    tracer_provider = TracerProvider()
    for processor in (tracker, tally, BatchSpanProcessor(_DropExporter())):
        tracer_provider.add_span_processor(processor)
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(_DropLogs()))

    import anthropic
    import openai

    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    instrumentors = [] if options.uninstrumented else [OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                logger_provider=logger_provider)
    print(f"openai {openai.__version__}, anthropic {anthropic.__version__}, Python {sys.version.split()[0]}; "
          f"{options.calls:,d} calls over {len(KINDS)} kinds, baseline after {options.warmup:,d}; fake server in "
          f"{'this' if options.server == 'thread' else 'its own'} process; "
          f"{'UNINSTRUMENTED' if options.uninstrumented else 'instrumented'}", flush=True)
    if options.tracemalloc:
        tracemalloc.start()

    base = last = None
    peak_rss = 0
    open_counts: list[int] = []
    with _server(options.server) as (openai_url, anthropic_url, forget), every_hook_phase():
        clients = Clients(openai_url, anthropic_url)
        run = Run(clients)
        started = time.monotonic()
        step = max(1, (options.calls - options.warmup) // options.checkpoints)
        marks = {options.warmup + step * k for k in range(options.checkpoints)} | {options.calls}
        print(f"{'calls':>8} {'s':>8} {'open':>5} {'RSS MiB':>9} {'trimmed':>9} {'thr':>4} {'ours':>7} {'gc objs':>10}"
              f"{' traced MiB' if options.tracemalloc else ''}"
              f" {'ΔRSS':>8} {'Δtrimmed':>8} {'Δours':>6} {'Δgc objs':>9}", flush=True)
        try:
            for index in range(options.calls):
                run.call(index)
                if run.calls % 100 == 0:
                    # the fake server's record of requests (~1.7 KB each) is not ours: 10,000 of them between two
                    # checkpoints would raise VmRSS by ~16 MiB for good (freed, the memory stays with the process)
                    forget()
                if run.calls % options.collect_every == 0:
                    reader.get_metrics_data()
                if run.calls in marks:
                    reader.get_metrics_data()
                    tracer_provider.force_flush()
                    logger_provider.force_flush()
                    forget()
                    last = sample(run, tracker, started)
                    base = base or last
                    peak_rss = max(peak_rss, last.rss_kib)
                    open_counts.append(last.open_spans)
                    print(_row(last, None if last is base else base), flush=True)
        finally:
            run.close()
            clients.close()
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    tracer_provider.shutdown()
    logger_provider.shutdown()
    assert base is not None and last is not None
    return _verdict(options, base, last, peak_rss, open_counts, tracker, tally, run)


def _verdict(options: Any, base: Sample, last: Sample, peak_rss: int, open_counts: list[int],
             tracker: OpenSpanTracker, tally: EndingTally, run: Run) -> int:
    rss_growth = (last.rss_kib - base.rss_kib) / MIB
    peak_growth = (peak_rss - base.rss_kib) / MIB
    trimmed = last.trimmed_rss_kib is not None and base.trimmed_rss_kib is not None
    measured = "VmRSS after malloc_trim" if trimmed else "VmRSS"
    growth = ((last.trimmed_rss_kib or 0) - (base.trimmed_rss_kib or 0)) / MIB if trimmed else rss_growth
    changed = leaked(base, last)
    problems = []
    if any(open_counts):
        problems.append(f"open spans at checkpoints: {open_counts}")
    if not (tracker.started == tracker.ended == run.calls):
        problems.append(f"{run.calls} calls, {tracker.started} spans started, {tracker.ended} ended")
    if tally.seen != run.expected:
        problems.append(f"span endings differ from what the application saw: spans {dict(tally.seen)}, "
                        f"application {dict(run.expected)}")
    if changed:
        problems.append(f"genai-otel live objects changed after the warm-up: {changed}")
    if error_counts():
        problems.append(f"internal errors: {error_counts()}")
    if growth > options.rss_bound_mib:
        problems.append(f"{measured} grew {growth:.2f} MiB after the warm-up (bound {options.rss_bound_mib} MiB)")
    print(f"\nmemory: VmRSS {base.rss_kib / MIB:.2f} MiB after {base.calls:,d} calls (warm-up), "
          f"{last.rss_kib / MIB:.2f} MiB after {last.calls:,d} ({rss_growth:+.2f} MiB; peak {peak_growth:+.2f} MiB)")
    if trimmed:
        print(f"        after malloc_trim: {(base.trimmed_rss_kib or 0) / MIB:.2f} MiB -> "
              f"{(last.trimmed_rss_kib or 0) / MIB:.2f} MiB ({growth:+.2f} MiB)")
    print(f"objects: genai-otel live objects {sum(base.ours.values())} -> {sum(last.ours.values())}; "
          f"gc-tracked objects {base.gc_objects:,d} -> {last.gc_objects:,d}")
    print(f"spans: {tracker.started:,d} started, {tracker.ended:,d} ended for {run.calls:,d} calls; endings "
          + ", ".join(f"{ending or 'none'}/{error or 'ok'} {count:,d}" for (ending, error), count
                      in sorted(tally.seen.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))))
    growers = sorted(grown(base.every, last.every).items(), key=lambda item: -abs(item[1]))[:8]
    print("gc-tracked objects that changed most: " + ", ".join(f"{name} {change:+d}" for name, change in growers))
    if last.top:
        print("allocations grown most since the baseline (tracemalloc):\n  " + "\n  ".join(last.top))
    if problems:
        print("FAIL\n  " + "\n  ".join(problems))
        return 1
    print(f"PASS: no open span, one span per call with the right ending, no growth in genai-otel's live objects, "
          f"{measured} growth {growth:+.2f} MiB <= {options.rss_bound_mib} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
