"""Shared benchmark machinery: added CPU per call, instrumented minus uninstrumented, same process, same run.

The fake LLM server runs in a separate process so its CPU is not counted. Telemetry goes to real SDK providers: a
TracerProvider with a BatchSpanProcessor (export work in its thread counts, as it would in an app) feeding an
exporter that drops the batch, and a MeterProvider with a reader (aggregation cost counts; collection is not
triggered). Rounds alternate uninstrumented / instrumented so drift hits both; figures are medians over rounds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class _DropExporter(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers(kind: str = "sdk") -> tuple[Any, Any]:
    """``sdk``: real SDK providers (what an app pays in total); ``noop``: the API's no-op providers (what genai-otel's
    own code costs, without the SDK's span and histogram work)."""
    if kind == "noop":
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.trace import NoOpTracerProvider

        return NoOpTracerProvider(), NoOpMeterProvider()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_DropExporter()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


@contextmanager
def fake_server() -> Iterator[str]:
    """The bundled fake LLM server in its own process; yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        url_file = Path(folder) / "url"
        process = subprocess.Popen([sys.executable, "-m", "genai_otel.testing.fake_llm", "--url-file", str(url_file)],
                                   stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if url_file.exists() and url_file.read_text().strip():
                    break
                time.sleep(0.05)
            yield url_file.read_text().strip()
        finally:
            process.terminate()
            process.wait(timeout=10)


def cpu_us_per_call(run: Callable[[], None], calls: int) -> float:
    start = time.process_time_ns()
    run()
    return (time.process_time_ns() - start) / 1000 / calls


def compare(name: str, run: Callable[[], None], calls: int, instrument: Callable[[], None],
            uninstrument: Callable[[], None], rounds: int) -> dict[str, float]:
    """Median CPU µs per call without and with instrumentation, and the difference."""
    run()  # warm up connections, caches, lazy imports
    instrument()
    run()
    uninstrument()
    plain, instrumented = [], []
    for _ in range(rounds):
        plain.append(cpu_us_per_call(run, calls))
        instrument()
        instrumented.append(cpu_us_per_call(run, calls))
        uninstrument()
    base, inst = statistics.median(plain), statistics.median(instrumented)
    result = {"uninstrumented_us": base, "instrumented_us": inst, "added_us": inst - base,
              "ratio": inst / base if base else float("nan")}
    print(f"{name:<34} uninstrumented {base:8.1f} µs  instrumented {inst:8.1f} µs  "
          f"added {inst - base:7.1f} µs  ratio {result['ratio']:.3f}", flush=True)
    return result
