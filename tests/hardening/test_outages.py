"""Exporter outages (issue 10, point 4): the OTLP endpoint down, hanging, or answering UNAVAILABLE/503 and
RESOURCE_EXHAUSTED/429 never reaches the app, and telemetry resumes when the endpoint comes back.

``outage_app.py``, an app with no telemetry code, runs under ``opentelemetry-instrument`` in two subprocesses at once,
one exporting OTLP/gRPC and one OTLP/http-protobuf, each to its own real :class:`OTLPReceiver`; the gRPC one also
keeps the local store (``OTEL_TRACES_EXPORTER=otlp,genai_otel_local``). Both make real openai and anthropic SDK calls
(sync, stream, async) to the fake LLM server while the test breaks and repairs their receivers. The exporters are
set up to give up quickly (1 s export timeout, 100 ms batch delay, a 32-span queue) so outages are short.

Each outage test checks, for both protocols:

* every call made during the outage returned exactly what it returns uninstrumented (type, text, chunks, usage)
  and none raised (the app records whatever reaches it; internal errors are re-raised in the app, as under tests);
* the outage really happened: the receiver counted the hung / refused requests, or (endpoint down) the SDK's own
  ``otel.sdk.exporter.span.exported`` counter shows failed exports once the endpoint is back;
* calls made after recovery arrive as spans with their exact attributes, and the metrics arrive complete, including
  the calls made during the outage (cumulative counts lose nothing), with ``genai_otel.internal.errors`` at 0.

Then the queue test floods a hanging endpoint with 100 spans (at most queue + one batch of them arrive afterwards,
the SDK counts the rest as dropped, ``queue_full``), and the shutdown test exits the apps while the endpoint hangs:
they end normally with no traceback, and the local store still holds every call.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from genai_otel.genai import semconv
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver, ReceivedMetric, ReceivedSpan

APP = Path(__file__).with_name("outage_app.py")
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
PROTOCOLS = ("grpc", "http/protobuf")
ROUNDS = 2  # each round is 5 calls: 3 OpenAI (chat, stream, async) and 2 Anthropic (message, stream)
QUEUE, BATCH = 32, 8
FLOOD_ROUNDS = 20  # 100 spans, >> QUEUE + BATCH
WAIT = 30.0  # generous bound on waiting for telemetry on this loaded machine (a hang guard, not a timing assertion)
TEXT = "word0 word1 word2 word3 word4"
SEEN = (  # what the app sees of each call, uninstrumented (the fake server's answers)
    {"call": "openai.chat", "text": TEXT, "type": "openai.types.chat.chat_completion.ChatCompletion",
     "usage": [8, 5]},
    {"call": "openai.stream", "chunk_types": ["openai.types.chat.chat_completion_chunk.ChatCompletionChunk"],
     "is_stream": True, "text": TEXT, "usage": [8, 5]},
    {"call": "openai.async", "text": TEXT, "type": "openai.types.chat.chat_completion.ChatCompletion"},
    {"call": "anthropic.message", "text": TEXT, "type": "anthropic.types.message.Message", "usage": [8, 5]},
    {"call": "anthropic.stream", "event_types": ["content_block_delta", "content_block_start", "content_block_stop",
                                                 "message_delta", "message_start", "message_stop"],
     "is_stream": True, "text": TEXT},
)
FAULT_OUTCOMES = {"hang": "hung", "unavailable": "unavailable", "throttle": "throttled"}


class OutageApp:
    """One ``outage_app.py`` under ``opentelemetry-instrument``, exporting to its own receiver."""

    def __init__(self, protocol: str, fake_llm: FakeLLMServer, folder: Path) -> None:
        self.protocol = protocol
        self.transport = "grpc" if protocol == "grpc" else "http"
        self.receiver = OTLPReceiver().start()
        self.store = folder / f"calls-{self.transport}.sqlite3" if protocol == "grpc" else None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
        env.update(self.receiver.exporter_env(protocol))
        env.update(
            OPENAI_BASE_URL=fake_llm.openai_base_url, ANTHROPIC_BASE_URL=fake_llm.anthropic_base_url,
            OTEL_SERVICE_NAME=f"outage-app-{self.transport}", OTEL_EXPORTER_OTLP_TIMEOUT="1",
            OTEL_BSP_SCHEDULE_DELAY="100", OTEL_BSP_MAX_QUEUE_SIZE=str(QUEUE),
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE=str(BATCH), OTEL_METRIC_EXPORT_INTERVAL="300",
            OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED="true", GENAI_OTEL_RAISE_INTERNAL_ERRORS="true",
        )
        if self.store is not None:
            env.update(OTEL_TRACES_EXPORTER="otlp,genai_otel_local", GENAI_OTEL_LOCAL_STORE_PATH=str(self.store))
        self.stderr_path = folder / f"stderr-{self.transport}.txt"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen([str(INSTRUMENT), sys.executable, str(APP)], env=env, text=True,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.made: Counter[str] = Counter()  # calls made per tag

    def run(self, tag: str, rounds: int = ROUNDS) -> None:
        """Make ``rounds`` rounds of calls and check that the app saw exactly what it sees uninstrumented."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"run {tag} {rounds}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"{self.protocol}: the app died; stderr:\n{self.stderr()[-3000:]}"
        answer = json.loads(line)
        seen = {json.dumps(json.loads(record), sort_keys=True): count for record, count in answer["seen"].items()}
        expected = {json.dumps(record, sort_keys=True): rounds for record in SEEN}
        assert answer["tag"] == tag
        assert seen == expected, f"{self.protocol} {tag}: the app saw {answer['seen']}"
        self.made[tag] += rounds

    def exit(self) -> tuple[int, str]:
        assert self.process.stdin is not None
        self.process.stdin.write("exit\n")
        self.process.stdin.flush()
        stdout, _ = self.process.communicate(timeout=60)  # the exporters give up after 1 s each
        return self.process.returncode, stdout

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self.receiver.stop()

    # -- what arrived ------------------------------------------------------------------------------------------------

    def spans_of(self, tag: str) -> list[ReceivedSpan]:
        models = (f"gpt-{tag}", f"claude-{tag}")
        return [s for s in self.receiver.spans() if s.attributes.get("gen_ai.request.model") in models]

    def latest(self, name: str) -> ReceivedMetric | None:
        found = [m for m in self.receiver.metrics() if m.name == name and m.transport == self.transport]
        return found[-1] if found else None

    def failed_span_exports(self) -> int:
        """The SDK's own count of spans its OTLP exporter failed to export (0 before the first such report)."""
        metric = self.latest("otel.sdk.exporter.span.exported")
        if metric is None:
            return 0
        return sum(int(p.value) for p in metric.points if "error.type" in p.attributes)  # type: ignore[union-attr]


def _by_model(metric: ReceivedMetric, token_type: str | None = None) -> Counter[str]:
    """Histogram counts (or, for a token type, sums) per request model."""
    totals: Counter[str] = Counter()
    for point in metric.points:
        if token_type is None:
            totals[point.attributes[semconv.REQUEST_MODEL]] += point.count  # type: ignore[union-attr]
        elif point.attributes[semconv.TOKEN_TYPE] == token_type:
            totals[point.attributes[semconv.REQUEST_MODEL]] += int(point.sum)  # type: ignore[union-attr,arg-type]
    return totals


def _expected_calls(app: OutageApp, *tags: str) -> dict[str, int]:
    expected = {}
    for tag in tags:
        expected[f"gpt-{tag}"] = 3 * app.made[tag]
        expected[f"claude-{tag}"] = 2 * app.made[tag]
    return expected


def _span_summary(span: ReceivedSpan) -> tuple[Any, ...]:
    a = span.attributes
    return (span.name, span.kind, span.status_code, a["gen_ai.operation.name"], a["gen_ai.provider.name"],
            a["gen_ai.request.model"], a["gen_ai.response.model"], a["gen_ai.usage.input_tokens"],
            a["gen_ai.usage.output_tokens"], a["gen_ai.response.finish_reasons"],
            a.get("genai_otel.stream.ending"), span.resource["service.name"], span.transport)


def _expected_summaries(app: OutageApp, tag: str, rounds: int) -> list[tuple[Any, ...]]:
    service, transport = f"outage-app-{app.transport}", app.transport
    per_round = [
        (f"chat gpt-{tag}", "CLIENT", "UNSET", "chat", "openai", f"gpt-{tag}", f"gpt-{tag}", 8, 5, ("stop",), None,
         service, transport),
        (f"chat gpt-{tag}", "CLIENT", "UNSET", "chat", "openai", f"gpt-{tag}", f"gpt-{tag}", 8, 5, ("stop",),
         "completed", service, transport),
        (f"chat gpt-{tag}", "CLIENT", "UNSET", "chat", "openai", f"gpt-{tag}", f"gpt-{tag}", 8, 5, ("stop",), None,
         service, transport),
        (f"chat claude-{tag}", "CLIENT", "UNSET", "chat", "anthropic", f"claude-{tag}", f"claude-{tag}", 8, 5,
         ("stop",), None, service, transport),
        (f"chat claude-{tag}", "CLIENT", "UNSET", "chat", "anthropic", f"claude-{tag}", f"claude-{tag}", 8, 5,
         ("stop",), "completed", service, transport),
    ]
    return sorted(per_round * rounds, key=repr)


def check_delivered(app: OutageApp, tag: str, *complete_metrics_for: str) -> None:
    """Every call made under ``tag`` arrived as its span; the latest metrics count every call of ``tag`` and of
    ``complete_metrics_for`` (calls made during an outage), and genai-otel counted no internal error."""
    rounds = app.made[tag]
    app.receiver.wait_for_spans(lambda s: s.attributes.get("gen_ai.request.model") == f"gpt-{tag}",
                                count=3 * rounds, timeout=WAIT)
    app.receiver.wait_for_spans(lambda s: s.attributes.get("gen_ai.request.model") == f"claude-{tag}",
                                count=2 * rounds, timeout=WAIT)
    assert sorted(map(_span_summary, app.spans_of(tag)), key=repr) == _expected_summaries(app, tag, rounds)

    calls = _expected_calls(app, tag, *complete_metrics_for)
    for name, token_type, per_call in ((semconv.METRIC_OPERATION_DURATION, None, 1),
                                       (semconv.METRIC_TOKEN_USAGE, "input", 8),
                                       (semconv.METRIC_TOKEN_USAGE, "output", 5)):
        expected = {model: count * per_call for model, count in calls.items()}

        def complete(metric: ReceivedMetric) -> bool:
            if metric.name != name or metric.transport != app.transport:  # noqa: B023
                return False
            totals = _by_model(metric, token_type)  # noqa: B023
            return all(totals[model] == value for model, value in expected.items())  # noqa: B023

        (metric, *_) = app.receiver.wait_for_metrics(complete, timeout=WAIT)
        assert metric.kind == "histogram" and metric.temporality == "CUMULATIVE"
        assert metric.unit == ("s" if token_type is None else "{token}")
        assert all("error.type" not in point.attributes for point in metric.points)
    errors = app.latest(semconv.METRIC_INTERNAL_ERRORS)
    assert errors is not None and [p.value for p in errors.points] == [0]  # type: ignore[union-attr]


def on_both(apps: dict[str, OutageApp], step: Callable[[OutageApp], None]) -> None:
    """Run ``step`` for both apps at once (their outages are independent), re-raising the first failure."""
    with ThreadPoolExecutor(len(apps)) as pool:
        for future in [pool.submit(step, app) for app in apps.values()]:
            future.result()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def apps(fake_llm: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OutageApp]]:
    """Both apps, started together (importing openai and anthropic takes seconds here); checked healthy first."""
    folder = tmp_path_factory.mktemp("outages")
    started: dict[str, OutageApp] = {}
    try:
        for protocol in PROTOCOLS:
            started[protocol] = OutageApp(protocol, fake_llm, folder)

        def healthy(app: OutageApp) -> None:
            app.run("healthy")
            check_delivered(app, "healthy")

        on_both(started, healthy)
        yield started
    finally:
        for app in started.values():
            app.close()


@pytest.mark.parametrize("fault", ["down", "hang", "unavailable", "throttle"])
def test_calls_unaffected_and_telemetry_resumes(fault: str, apps: dict[str, OutageApp]) -> None:
    def outage(app: OutageApp) -> None:
        receiver = app.receiver
        outcome = FAULT_OUTCOMES.get(fault)
        refused_before = {signal: receiver.request_count(signal, app.transport, outcome) for signal in
                          ("traces", "metrics")} if outcome else {}
        failed_before = app.failed_span_exports()
        if fault == "down":
            receiver.stop()  # connection refused on both ports
        else:
            receiver.set_mode(fault, retry_after_seconds=0.2)  # throttled: the exporter retries within its 1 s
        try:
            app.run(f"out-{fault}")
            if outcome:
                for signal, before in refused_before.items():
                    wait_until(lambda: receiver.request_count(signal, app.transport, outcome) > before,  # noqa: B023
                               f"{app.protocol}: a {outcome} {signal} export")
            else:
                time.sleep(1.0)  # 10 batch delays and 3 metric intervals: the exporters try, and fail, meanwhile
        finally:
            if fault == "down":
                receiver.start()
            else:
                receiver.set_mode("ok")
        if fault == "down":
            # A gRPC channel reconnects with backoff: an export in the first moments after the restart can still
            # fail, and the SDK drops that batch. Telemetry has resumed once an export of new calls is accepted.
            def resumed() -> bool:
                accepted = receiver.request_count("traces", app.transport, "accepted")
                app.run(f"probe-{fault}", rounds=1)
                time.sleep(0.3)  # three batch delays
                return receiver.request_count("traces", app.transport, "accepted") > accepted

            wait_until(resumed, f"{app.protocol}: span exports accepted again after the restart")
        app.run(f"after-{fault}")
        check_delivered(app, f"after-{fault}", f"out-{fault}")
        if fault == "down":
            wait_until(lambda: app.failed_span_exports() > failed_before,
                       f"{app.protocol}: the SDK reporting span exports that failed while the endpoint was down")

    on_both(apps, outage)


def test_queue_stays_bounded_while_endpoint_hangs(apps: dict[str, OutageApp]) -> None:
    def flood(app: OutageApp) -> None:
        receiver = app.receiver
        hung_before = receiver.request_count("traces", app.transport, "hung")
        receiver.set_mode("hang")
        try:
            app.run("flood", FLOOD_ROUNDS)
            wait_until(lambda: receiver.request_count("traces", app.transport, "hung") > hung_before,
                       f"{app.protocol}: a hung traces export")
        finally:
            attempts = receiver.request_count("traces", app.transport, "hung") - hung_before
            receiver.set_mode("ok")
        app.run("after-flood")
        check_delivered(app, "after-flood", "flood")
        # Only what the bounded queue held at recovery, and one batch being exported, can still arrive.
        arrived = len(app.spans_of("flood"))
        assert arrived <= QUEUE + BATCH, f"{app.protocol}: {arrived} flood spans arrived"
        # The rest was dropped: each export attempt the receiver saw during the hang, and one in flight, took at most
        # one batch off the queue.
        flood = 5 * app.made["flood"]

        def dropped(metric: ReceivedMetric) -> int:
            return sum(int(p.value) for p in metric.points  # type: ignore[union-attr]
                       if p.attributes.get("error.type") == "queue_full")

        receiver.wait_for_metrics(
            lambda m: m.name == "otel.sdk.processor.span.processed" and m.transport == app.transport
            and dropped(m) >= flood - QUEUE - BATCH * (attempts + 1), timeout=WAIT)

    on_both(apps, flood)


def test_exit_while_endpoint_hangs(apps: dict[str, OutageApp]) -> None:
    def shutdown(app: OutageApp) -> None:
        app.receiver.set_mode("hang")
        app.run("last", 1)
        returncode, stdout = app.exit()
        stderr = app.stderr()
        assert returncode == 0, stderr[-3000:]
        assert stdout == "bye\n"
        assert "Traceback" not in stderr and "genai-otel internal error" not in stderr, stderr[-3000:]
        if app.store is not None:  # the local store, next to OTLP, was never held up by it
            with sqlite3.connect(app.store) as conn:
                rows = dict(conn.execute("SELECT request_model, count(*) FROM calls GROUP BY request_model"))
            tags = [tag for tag in app.made if tag != "flood"]
            assert {m: rows.get(m) for m in _expected_calls(app, *tags)} == _expected_calls(app, *tags)
            assert rows["gpt-flood"] <= 3 * app.made["flood"]
        app.receiver.set_mode("ok")

    on_both(apps, shutdown)

