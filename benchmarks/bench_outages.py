"""The app's call latency while the OTLP endpoint is healthy, down, hanging, or answering 503 / 429, over gRPC and
http/protobuf; memory with a bounded queue; how long export takes to resume after recovery; how long shutdown takes.

    python benchmarks/bench_outages.py [--rounds 20] [--calls 10] [--queue 2048] [--flood-queue 256]
                                       [--flood-calls 2000] [--timeout 10] [--schedule-delay 5000]
                                       [--metric-interval 1000] [--skip-shutdown]

Set-up: the fake LLM server and a real ``OTLPReceiver`` each run in their own process (the receiver's decoding and
its fault modes do not cost this process anything); this process holds the SDK's real OTLP exporters behind a
``BatchSpanProcessor`` and a ``PeriodicExportingMetricReader``, as ``opentelemetry-instrument`` builds them, with the
SDK defaults (export timeout 10 s, batch delay 5 s, batch 512, queue 2048) except a 1 s metric interval so that metric
exports also meet the outage. The receiver is stopped (down: connection refused), hangs (answers nothing until the
client's deadline), or answers UNAVAILABLE / 503 or RESOURCE_EXHAUSTED / 429 with a 1 s retry delay.

Latency: wall time of each ``chat.completions.create`` (openai) and ``messages.create`` (anthropic) call, non-stream,
``--calls`` of each per round. Rounds alternate uninstrumented / instrumented in the same process (the baseline is
the same clients with ``OpenAIInstrumentor`` / ``AnthropicInstrumentor`` uninstrumented, so no genai-otel code runs;
the exporter threads keep running), the order flipping every round; medians and p95 are over every call of a kind.
Process CPU per call (all threads, so the exporters' serialization and sending count) is printed next to it; the
healthy row is the reference: what instrumentation plus export costs when nothing is wrong. RSS (``/proc/self/statm``)
is read before and after each condition.

Resume: after each condition the receiver is repaired and one instrumented call is made; the figure is the time from
the repair until its span is at the receiver (the batch delay, plus what is left of an export attempt in progress).

Flood: ``--flood-calls`` instrumented calls against a hanging endpoint with a ``--flood-queue`` span queue: RSS
before / after, the queue's length and the spans the SDK counted as dropped (``queue_full``).

Shutdown: ``TracerProvider.shutdown()`` + ``MeterProvider.shutdown()`` (what runs at the app's exit) with a few spans
queued, endpoint healthy, down and hanging.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic  # noqa: E402
import openai  # noqa: E402
from _harness import fake_server  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from genai_otel.instrumentation.anthropic import AnthropicInstrumentor  # noqa: E402
from genai_otel.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

MESSAGES: Any = [{"role": "user", "content": "benchmark"}]
CONDITIONS = ("healthy", "down", "hang", "unavailable", "throttle")
LABELS = {"healthy": "healthy", "down": "down (refused)", "hang": "hanging", "unavailable": "503 / UNAVAILABLE",
          "throttle": "429 / RESOURCE_EXHAUSTED"}
PAGE = os.sysconf("SC_PAGE_SIZE")
MARKERS = itertools.count(9000)


# -- the receiver, in its own process ----------------------------------------------------------------------------------

def serve_receiver() -> None:
    """``--serve-receiver``: an OTLPReceiver driven by stdin commands: ``mode M``, ``stop``, ``start``,
    ``count SEED`` (spans with that ``gen_ai.request.seed``), ``quit``; one reply line each."""
    from genai_otel.testing.otlp_receiver import OTLPReceiver

    receiver = OTLPReceiver().start()
    print(json.dumps({"grpc": receiver.grpc_endpoint, "http": receiver.http_endpoint}), flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "quit":
            break
        if command == "mode":
            receiver.set_mode(args[0])  # type: ignore[arg-type]
            print("ok", flush=True)
        elif command == "stop":
            receiver.stop()
            print("ok", flush=True)
        elif command == "start":
            receiver.start()
            print("ok", flush=True)
        elif command == "count":
            count = sum(1 for s in receiver.spans() if s.attributes.get("gen_ai.request.seed") == int(args[0]))
            print(count, flush=True)
    receiver.stop()


class Receiver:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-receiver"], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.endpoints = json.loads(self._readline())

    def _readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._readline().strip()

    def fault(self, condition: str) -> None:
        if condition == "down":
            self.ask("stop")
        elif condition != "healthy":
            self.ask(f"mode {condition}")

    def repair(self, condition: str) -> None:
        if condition == "down":
            self.ask("start")
        else:
            self.ask("mode ok")

    def close(self) -> None:
        self.ask("quit")
        self.process.wait(timeout=30)


# -- the exporters, as opentelemetry-instrument sets them up ----------------------------------------------------------

def exporters(protocol: str, endpoints: dict[str, str], timeout: float) -> tuple[Any, Any]:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans

        return (GrpcSpans(endpoint=endpoints["grpc"], insecure=True, timeout=timeout),
                GrpcMetrics(endpoint=endpoints["grpc"], insecure=True, timeout=timeout))
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans

    return (HttpSpans(endpoint=f"{endpoints['http']}/v1/traces", timeout=timeout),
            HttpMetrics(endpoint=f"{endpoints['http']}/v1/metrics", timeout=timeout))


def make_providers(protocol: str, endpoints: dict[str, str], options: argparse.Namespace, queue: int,
                   self_metrics: Any = None) -> tuple[TracerProvider, MeterProvider, BatchSpanProcessor]:
    span_exporter, metric_exporter = exporters(protocol, endpoints, options.timeout)
    processor = BatchSpanProcessor(span_exporter, max_queue_size=queue, schedule_delay_millis=options.schedule_delay,
                                   max_export_batch_size=min(512, queue), meter_provider=self_metrics)
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(processor)
    meter_provider = MeterProvider(
        metric_readers=[PeriodicExportingMetricReader(metric_exporter, export_interval_millis=options.metric_interval)],
        shutdown_on_exit=False)
    return tracer_provider, meter_provider, processor


class Instrumented:
    """Both instrumentors on one pair of providers; ``on()`` / ``off()`` switch genai-otel in and out."""

    def __init__(self) -> None:
        self.instrumentors = (OpenAIInstrumentor(), AnthropicInstrumentor())
        self.providers: tuple[Any, Any] | None = None

    def on(self) -> None:
        assert self.providers is not None
        for instrumentor in self.instrumentors:
            instrumentor.instrument(tracer_provider=self.providers[0], meter_provider=self.providers[1])

    def off(self) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()

    @contextmanager
    def using(self, tracer_provider: Any, meter_provider: Any) -> Iterator[None]:
        self.providers = (tracer_provider, meter_provider)
        self.on()
        try:
            yield
        finally:
            self.off()


# -- measurements ------------------------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


class App:
    def __init__(self, url: str) -> None:
        self.openai = openai.OpenAI(api_key="sk-bench", base_url=f"{url}/v1", max_retries=0)
        self.anthropic = anthropic.Anthropic(api_key="sk-ant-bench", base_url=url, max_retries=0)

    def openai_call(self, seed: int | None = None) -> None:
        extra = {} if seed is None else {"seed": seed}
        reply = self.openai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **extra)
        assert type(reply) is openai.types.chat.ChatCompletion and reply.choices[0].message.content

    def anthropic_call(self) -> None:
        message = self.anthropic.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES)
        assert type(message) is anthropic.types.Message and message.content

    def timed(self, call: Callable[[], None], calls: int) -> list[float]:
        latencies = []
        for _ in range(calls):
            start = time.perf_counter_ns()
            call()
            latencies.append((time.perf_counter_ns() - start) / 1000)
        return latencies


class Figures:
    """Per SDK and state ("plain" / "instrumented"): each call's wall time (µs) and the process CPU they used."""

    def __init__(self) -> None:
        self.wall: dict[tuple[str, str], list[float]] = {}
        self.cpu_ns: dict[tuple[str, str], int] = {}

    def add(self, sdk: str, state: str, app: App, call: Callable[[], None], calls: int) -> None:
        start = time.process_time_ns()
        self.wall.setdefault((sdk, state), []).extend(app.timed(call, calls))
        self.cpu_ns[(sdk, state)] = self.cpu_ns.get((sdk, state), 0) + time.process_time_ns() - start

    def cpu_us(self, sdk: str, state: str) -> float:
        return self.cpu_ns[(sdk, state)] / 1000 / len(self.wall[(sdk, state)])


def measure(app: App, switch: Instrumented, rounds: int, calls: int) -> Figures:
    """Rounds alternate uninstrumented ("plain") and instrumented, the order flipping every round."""
    figures = Figures()
    for round_number in range(rounds):
        order = ("plain", "instrumented") if round_number % 2 == 0 else ("instrumented", "plain")
        for state in order:
            if state == "instrumented":
                switch.on()
            figures.add("openai", state, app, app.openai_call, calls)
            figures.add("anthropic", state, app, app.anthropic_call, calls)
            if state == "instrumented":
                switch.off()
    return figures


def report_latency(protocol: str, condition: str, figures: Figures, rss: tuple[float, float],
                   resume_s: float | None) -> None:
    for sdk in ("openai", "anthropic"):
        plain, inst = figures.wall[(sdk, "plain")], figures.wall[(sdk, "instrumented")]
        base_med, inst_med = statistics.median(plain), statistics.median(inst)
        base_cpu, inst_cpu = figures.cpu_us(sdk, "plain"), figures.cpu_us(sdk, "instrumented")
        print(f"{protocol:<5} {LABELS[condition]:<24} {sdk:<9} wall µs: plain med {base_med:6.0f} p95 {p95(plain):6.0f}"
              f"  instr med {inst_med:6.0f} p95 {p95(inst):6.0f}  diff {inst_med - base_med:+6.0f}  ratio "
              f"{inst_med / base_med:5.3f} (p95 {p95(inst) / p95(plain):5.3f});  CPU µs/call {base_cpu:5.0f} -> "
              f"{inst_cpu:5.0f} ({inst_cpu - base_cpu:+4.0f})", flush=True)
    resumed = "n/a" if resume_s is None else f"{resume_s:5.2f} s"
    print(f"{protocol:<5} {LABELS[condition]:<24} RSS {rss[0]:.1f} -> {rss[1]:.1f} MB ({rss[1] - rss[0]:+.1f}); "
          f"export resumed {resumed} after the repair", flush=True)


def time_to_resume(app: App, receiver: Receiver, switch: Instrumented, marker: int, limit: float = 90.0) -> float:
    """Instrumented call with seed ``marker`` right after the repair; seconds until its span is at the receiver."""
    start = time.monotonic()
    switch.on()
    app.openai_call(marker)
    switch.off()
    while time.monotonic() - start < limit:
        if int(receiver.ask(f"count {marker}")) >= 1:
            return time.monotonic() - start
        time.sleep(0.05)
    return float("nan")


def dropped_spans(reader: InMemoryMetricReader) -> int:
    data = reader.get_metrics_data()
    total = 0
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == "otel.sdk.processor.span.processed":
                    total += sum(int(p.value) for p in metric.data.data_points  # type: ignore[attr-defined]
                                 if (p.attributes or {}).get("error.type") == "queue_full")
    return total


def flood(app: App, receiver: Receiver, switch: Instrumented, protocol: str, options: argparse.Namespace) -> None:
    """Many calls against a hanging endpoint with a small queue: memory and the queue stay bounded."""
    os.environ["OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED"] = "true"  # the SDK's own dropped-span counter
    self_reader = InMemoryMetricReader()
    self_metrics = MeterProvider(metric_readers=[self_reader], shutdown_on_exit=False)
    tracer_provider, meter_provider, processor = make_providers(protocol, receiver.endpoints, options,
                                                                options.flood_queue, self_metrics)
    os.environ.pop("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED")
    receiver.fault("hang")
    with switch.using(tracer_provider, meter_provider):
        app.timed(app.openai_call, 20)
        before = rss_mb()
        latencies = app.timed(app.openai_call, options.flood_calls)
        after = rss_mb()
        queued = len(processor._batch_processor._queue)  # noqa: SLF001 - a peek for the report
    print(f"{protocol:<5} flood (hanging)          {options.flood_calls} calls, queue limit {options.flood_queue}: "
          f"RSS {before:.1f} -> {after:.1f} MB ({after - before:+.1f}), queued {queued}, "
          f"dropped {dropped_spans(self_reader)} (queue_full), call median {statistics.median(latencies):.0f} µs "
          f"p95 {p95(latencies):.0f} µs; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB",
          flush=True)
    receiver.repair("hang")
    shutdown_seconds(tracer_provider, meter_provider)
    self_metrics.shutdown()


def shutdown_seconds(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> tuple[float, float]:
    start = time.monotonic()
    tracer_provider.shutdown()
    traced = time.monotonic()
    meter_provider.shutdown()
    return traced - start, time.monotonic() - traced


def shutdowns(app: App, receiver: Receiver, switch: Instrumented, protocol: str, options: argparse.Namespace) -> None:
    for condition in ("healthy", "down", "hang"):
        tracer_provider, meter_provider, _ = make_providers(protocol, receiver.endpoints, options, options.queue)
        with switch.using(tracer_provider, meter_provider):
            app.timed(app.openai_call, 10)
        receiver.fault(condition)
        traces_s, metrics_s = shutdown_seconds(tracer_provider, meter_provider)
        receiver.repair(condition)
        print(f"{protocol:<5} {LABELS[condition]:<24} shutdown with 10 spans queued: tracer provider "
              f"{traces_s:5.2f} s, meter provider {metrics_s:5.2f} s", flush=True)


def run_protocol(app: App, receiver: Receiver, protocol: str, options: argparse.Namespace) -> None:
    tracer_provider, meter_provider, _ = make_providers(protocol, receiver.endpoints, options, options.queue)
    switch = Instrumented()
    with switch.using(tracer_provider, meter_provider):
        app.timed(app.openai_call, 20)
        app.timed(app.anthropic_call, 20)
    for condition in CONDITIONS:
        receiver.fault(condition)
        switch.providers = (tracer_provider, meter_provider)
        before = rss_mb()
        figures = measure(app, switch, options.rounds, options.calls)
        after = rss_mb()
        receiver.repair(condition)
        resume = time_to_resume(app, receiver, switch, next(MARKERS))
        report_latency(protocol, condition, figures, (before, after), resume)
    shutdown_seconds(tracer_provider, meter_provider)
    flood(app, receiver, switch, protocol, options)
    if not options.skip_shutdown:
        shutdowns(app, receiver, switch, protocol, options)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10, help="calls of each SDK per round and state")
    parser.add_argument("--queue", type=int, default=2048, help="span queue limit (SDK default 2048)")
    parser.add_argument("--flood-queue", type=int, default=256)
    parser.add_argument("--flood-calls", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=10.0, help="OTLP export timeout, s (SDK default 10)")
    parser.add_argument("--schedule-delay", type=float, default=5000, help="batch delay, ms (SDK default 5000)")
    parser.add_argument("--metric-interval", type=float, default=1000, help="metric export interval, ms")
    parser.add_argument("--protocols", default="grpc,http")
    parser.add_argument("--skip-shutdown", action="store_true")
    options = parser.parse_args()
    if options.serve_receiver:
        serve_receiver()
        return
    print(f"openai {openai.__version__}, anthropic {anthropic.__version__}; export timeout {options.timeout:g} s, "
          f"batch delay {options.schedule_delay:g} ms, metric interval {options.metric_interval:g} ms, queue "
          f"{options.queue}; {options.rounds} rounds x {options.calls} calls per SDK and state; wall time per call; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    with fake_server() as url:
        receiver = Receiver()
        app = App(url)
        try:
            for protocol in options.protocols.split(","):
                run_protocol(app, receiver, protocol, options)
        finally:
            receiver.close()


if __name__ == "__main__":
    main()
