"""OTLPReceiver driven by the real OpenTelemetry SDK exporters (gRPC and HTTP/protobuf), asserting exact decoding."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics.view import (
    ExplicitBucketHistogramAggregation,
    ExponentialBucketHistogramAggregation,
    View,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from genai_otel.testing.otlp_receiver import (
    ExponentialHistogramPoint,
    HistogramPoint,
    NumberPoint,
    OTLPReceiver,
    ReceivedLog,
    ReceivedSpan,
)

RESOURCE = Resource.create({"service.name": "otlp-receiver-test", "deployment.environment.name": "ci"})
VARIANTS = ["grpc", "grpc+gzip", "http", "http+gzip", "http+deflate"]
_EXPORTER_CLASSES: dict[tuple[str, str], Any] = {
    ("traces", "grpc"): GrpcSpanExporter,
    ("traces", "http"): HttpSpanExporter,
    ("metrics", "grpc"): GrpcMetricExporter,
    ("metrics", "http"): HttpMetricExporter,
    ("logs", "grpc"): GrpcLogExporter,
    ("logs", "http"): HttpLogExporter,
}


# -- fixtures and helpers ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[OTLPReceiver]:
    with OTLPReceiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(shared_receiver: OTLPReceiver) -> Iterator[OTLPReceiver]:
    shared_receiver.set_mode("ok")
    shared_receiver.clear()
    yield shared_receiver
    shared_receiver.set_mode("ok")


@pytest.fixture
def make_exporter() -> Iterator[Callable[..., Any]]:
    """Build real SDK OTLP exporters for a signal and a variant ("grpc", "http", optionally "+gzip")."""
    created = []

    def make(signal_name: str, variant: str, receiver: Any, timeout: float = 2.0) -> Any:
        """``receiver`` is anything with ``grpc_endpoint`` and ``http_endpoint``."""
        transport, _, compression = variant.partition("+")
        if transport == "grpc":
            options: dict[str, Any] = {"endpoint": receiver.grpc_endpoint, "insecure": True}
            if compression:
                options["compression"] = grpc.Compression.Gzip
        else:
            options = {"endpoint": f"{receiver.http_endpoint}/v1/{signal_name}"}
            if compression:
                options["compression"] = HttpCompression(compression)
        exporter = _EXPORTER_CLASSES[(signal_name, transport)](timeout=timeout, **options)
        created.append(exporter)
        return exporter

    yield make
    for exporter in created:
        exporter.shutdown()


def typed(value: Any) -> Any:
    """Pair every value with its type name, so that ``True == 1`` or ``(1,) == [1]`` cannot pass by accident."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(item) for item in value])
    return (type(value).__name__, value)


def span_batch(name: str) -> Any:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.get_tracer("tests.batch").start_span(name).end()
    return memory.get_finished_spans()


def metric_batch(name: str) -> Any:
    reader = InMemoryMetricReader()
    MeterProvider(metric_readers=[reader], resource=RESOURCE, shutdown_on_exit=False).get_meter(
        "tests.batch"
    ).create_counter(name).add(1)
    return reader.get_metrics_data()


def log_batch(name: str) -> Any:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.get_logger("tests.batch").emit(event_name=name, body="payload")
    return memory.get_finished_logs()


BATCH_BUILDERS = {"traces": span_batch, "metrics": metric_batch, "logs": log_batch}


def received_names(receiver: OTLPReceiver, signal_name: str) -> list[str | None]:
    if signal_name == "traces":
        return [span.name for span in receiver.spans()]
    if signal_name == "metrics":
        return [metric.name for metric in receiver.metrics()]
    return [log.event_name for log in receiver.logs()]


def post(url: str, body: bytes, content_type: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def span_request(name: str) -> bytes:
    return bytes(encode_spans(span_batch(name)).SerializeToString())


EMPTY_TRACE_REQUEST = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()


# -- exact decoding ------------------------------------------------------------------------------------------------

SPAN_ATTRIBUTES = {
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.request.stream": True,
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.request.temperature": 0.25,
    "gen_ai.response.finish_reasons": ["stop", "length"],
    "flags": [True, False],
    "token_ids": [1, 2, 3],
    "scores": [0.5, 1.5],
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_spans_round_trip_exactly(receiver: OTLPReceiver, make_exporter: Callable[..., Any], variant: str) -> None:
    provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(make_exporter("traces", variant, receiver)))
    tracer = provider.get_tracer("tests.otlp_receiver", "1.2.3")
    with (
        tracer.start_as_current_span("invoke_agent", kind=SpanKind.SERVER) as parent,
        tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes=SPAN_ATTRIBUTES) as child,
    ):
        child.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop"})
        child.set_status(Status(StatusCode.ERROR, "rate limited"))

    (received_child,) = receiver.wait_for_spans("chat gpt-4o")
    (received_parent,) = receiver.wait_for_spans("invoke_agent")
    transport = variant.partition("+")[0]
    common = {
        "trace_id": f"{parent.get_span_context().trace_id:032x}",
        "resource": dict(RESOURCE.attributes),
        "scope_name": "tests.otlp_receiver",
        "scope_version": "1.2.3",
        "transport": transport,
    }
    assert received_child == ReceivedSpan(
        name="chat gpt-4o",
        kind="CLIENT",
        span_id=f"{child.get_span_context().span_id:016x}",
        parent_span_id=f"{parent.get_span_context().span_id:016x}",
        start_ns=child.start_time,
        end_ns=child.end_time,
        attributes={key: tuple(value) if isinstance(value, list) else value for key, value in SPAN_ATTRIBUTES.items()},
        status_code="ERROR",
        status_message="rate limited",
        events=[("gen_ai.choice", {"index": 0, "finish_reason": "stop"})],
        **common,
    )
    assert typed(received_child.attributes) == typed(
        {key: tuple(value) if isinstance(value, list) else value for key, value in SPAN_ATTRIBUTES.items()}
    )
    assert received_parent == ReceivedSpan(
        name="invoke_agent",
        kind="SERVER",
        span_id=f"{parent.get_span_context().span_id:016x}",
        parent_span_id=None,
        start_ns=parent.start_time,
        end_ns=parent.end_time,
        attributes={},
        status_code="UNSET",
        status_message="",
        events=[],
        **common,
    )
    assert receiver.request_count("traces", transport, "accepted") == 2


@pytest.mark.parametrize("variant", VARIANTS)
def test_metrics_round_trip_exactly(receiver: OTLPReceiver, make_exporter: Callable[..., Any], variant: str) -> None:
    reader = InMemoryMetricReader()
    views = [
        View(
            instrument_name="gen_ai.client.operation.duration",
            aggregation=ExplicitBucketHistogramAggregation((0.01, 0.1, 1.0, 10.0)),
        ),
        View(instrument_name="exp.latency", aggregation=ExponentialBucketHistogramAggregation()),
    ]
    meter = MeterProvider(metric_readers=[reader], resource=RESOURCE, views=views, shutdown_on_exit=False).get_meter(
        "tests.metrics", "0.9"
    )
    durations = (0.005, 0.05, 0.5, 5.0, 50.0)
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s", description="GenAI duration.")
    for seconds in durations:
        duration.record(seconds, {"gen_ai.operation.name": "chat"})
    tokens = meter.create_counter("gen_ai.client.token.usage.total", unit="{token}")
    tokens.add(3, {"gen_ai.token.type": "input"})
    tokens.add(4, {"gen_ai.token.type": "input"})
    tokens.add(10, {"gen_ai.token.type": "output"})
    meter.create_up_down_counter("requests.in_flight").add(-2)
    meter.create_gauge("cache.ratio").set(0.75, {"cache": "prompt"})
    exponential = meter.create_histogram("exp.latency")
    for value in (0.0, 1.0, 2.0, 4.0):
        exponential.record(value)
    sdk_data = reader.get_metrics_data()
    sdk_points = {
        metric.name: metric.data.data_points for metric in sdk_data.resource_metrics[0].scope_metrics[0].metrics
    }

    assert make_exporter("metrics", variant, receiver).export(sdk_data).name == "SUCCESS"
    received = {metric.name: metric for metric in receiver.wait_for_metrics(5)}
    transport = variant.partition("+")[0]
    for metric in received.values():
        assert (metric.resource, metric.scope_name, metric.scope_version) == (
            dict(RESOURCE.attributes),
            "tests.metrics",
            "0.9",
        )
        assert metric.transport == transport

    def times(name: str, index: int = 0) -> dict[str, int]:
        point = sdk_points[name][index]
        return {"start_ns": point.start_time_unix_nano, "time_ns": point.time_unix_nano}

    histogram = received["gen_ai.client.operation.duration"]
    assert (histogram.kind, histogram.unit, histogram.description) == ("histogram", "s", "GenAI duration.")
    assert (histogram.temporality, histogram.is_monotonic) == ("CUMULATIVE", None)
    assert histogram.points == [
        HistogramPoint(
            attributes={"gen_ai.operation.name": "chat"},
            count=5,
            sum=sum(durations),
            bucket_counts=(1, 1, 1, 1, 1),
            explicit_bounds=(0.01, 0.1, 1.0, 10.0),
            min=0.005,
            max=50.0,
            **times("gen_ai.client.operation.duration"),
        )
    ]

    counter = received["gen_ai.client.token.usage.total"]
    assert (counter.kind, counter.unit, counter.is_monotonic, counter.temporality) == (
        "sum",
        "{token}",
        True,
        "CUMULATIVE",
    )
    assert counter.points == [
        NumberPoint({"gen_ai.token.type": "input"}, 7, **times("gen_ai.client.token.usage.total", 0)),
        NumberPoint({"gen_ai.token.type": "output"}, 10, **times("gen_ai.client.token.usage.total", 1)),
    ]
    assert typed([point.value for point in counter.points]) == typed([7, 10])

    up_down = received["requests.in_flight"]
    assert (up_down.kind, up_down.is_monotonic, up_down.points[0].value) == ("sum", False, -2)

    gauge = received["cache.ratio"]
    assert (gauge.kind, gauge.is_monotonic, gauge.temporality) == ("gauge", None, None)
    # Gauges carry no start time: the SDK leaves it None, OTLP encodes 0.
    assert gauge.points == [NumberPoint({"cache": "prompt"}, 0.75, 0, sdk_points["cache.ratio"][0].time_unix_nano)]

    sdk_exponential = sdk_points["exp.latency"][0]
    assert received["exp.latency"].kind == "exponential_histogram"
    assert received["exp.latency"].points == [
        ExponentialHistogramPoint(
            attributes={},
            count=4,
            sum=7.0,
            scale=sdk_exponential.scale,
            zero_count=1,
            positive_offset=sdk_exponential.positive.offset,
            positive_bucket_counts=tuple(sdk_exponential.positive.bucket_counts),
            negative_offset=sdk_exponential.negative.offset,
            negative_bucket_counts=tuple(sdk_exponential.negative.bucket_counts),
            min=0.0,
            max=4.0,
            **times("exp.latency"),
        )
    ]
    assert sum(received["exp.latency"].points[0].positive_bucket_counts) == 3


LOG_BODY = {
    "messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
    "choice_count": 2,
    "temperature": 0.5,
    "stream": True,
    "missing": None,
    "raw": b"\x00\x01",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_logs_round_trip_exactly(receiver: OTLPReceiver, make_exporter: Callable[..., Any], variant: str) -> None:
    provider = LoggerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(make_exporter("logs", variant, receiver)))
    logger = provider.get_logger("tests.logs", "0.3")
    with TracerProvider(shutdown_on_exit=False).get_tracer("tests").start_as_current_span("chat") as span:
        logger.emit(
            event_name="gen_ai.client.inference.operation.details",
            body=LOG_BODY,
            attributes={"gen_ai.provider.name": "openai", "gen_ai.request.seeds": [1, 2]},
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            timestamp=1_700_000_000_000_000_001,
        )
    logger.emit(body="plain text", attributes={"event.name": "legacy.event"}, timestamp=123)

    event, legacy = receiver.wait_for_logs(2)
    common = {"resource": dict(RESOURCE.attributes), "scope_name": "tests.logs", "scope_version": "0.3"}
    transport = variant.partition("+")[0]
    assert event == ReceivedLog(
        event_name="gen_ai.client.inference.operation.details",
        body=LOG_BODY,
        attributes={"gen_ai.provider.name": "openai", "gen_ai.request.seeds": (1, 2)},
        trace_id=f"{span.get_span_context().trace_id:032x}",
        span_id=f"{span.get_span_context().span_id:016x}",
        severity_text="INFO",
        severity_number=SeverityNumber.INFO.value,
        timestamp_ns=1_700_000_000_000_000_001,
        observed_timestamp_ns=event.observed_timestamp_ns,
        transport=transport,
        **common,
    )
    assert event.observed_timestamp_ns > 0
    assert typed(event.body) == typed(LOG_BODY)
    assert (legacy.event_name, legacy.body, legacy.trace_id, legacy.span_id) == (
        "legacy.event",
        "plain text",
        None,
        None,
    )
    assert legacy.timestamp_ns == 123
    assert receiver.wait_for_logs("legacy.event") == [legacy]


def test_otlp_json_over_http(receiver: OTLPReceiver) -> None:
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-client"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "json-scope"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "parentSpanId": "eee19b7ec3c1b173",
                                "name": "json span",
                                "kind": 3,
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": "1544712661000000000",
                                "attributes": [
                                    {"key": "n", "value": {"intValue": "7"}},
                                    {"key": "l", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}]}}},
                                ],
                                "status": {"code": 2, "message": "bad"},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    status, headers, body = post(receiver.http_url("traces"), json.dumps(document).encode(), "application/json")
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {})
    (span,) = receiver.wait_for_spans("json span")
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
    )
    assert (span.kind, span.status_code, span.status_message) == ("CLIENT", "ERROR", "bad")
    assert (span.start_ns, span.end_ns, span.duration_ns) == (1544712660000000000, 1544712661000000000, 10**9)
    assert typed(span.attributes) == typed({"n": 7, "l": (1.5,)})
    assert (span.resource, span.scope_name, span.transport) == ({"service.name": "json-client"}, "json-scope", "http")


def test_http_accepts_chunked_bodies(receiver: OTLPReceiver) -> None:
    body = span_request("chunked")
    connection = http.client.HTTPConnection("127.0.0.1", int(receiver.http_endpoint.rsplit(":", 1)[1]), timeout=5)
    try:
        headers = {"Content-Type": "application/x-protobuf"}
        connection.request("POST", "/v1/traces", body=iter([body[:7], body[7:]]), headers=headers, encode_chunked=True)
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    assert [span.name for span in receiver.spans()] == ["chunked"]


def test_http_rejects_bad_requests(receiver: OTLPReceiver) -> None:
    assert post(receiver.http_endpoint + "/v1/nothing", EMPTY_TRACE_REQUEST, "application/x-protobuf")[0] == 404
    assert post(receiver.http_url("traces"), EMPTY_TRACE_REQUEST, "text/plain")[0] == 415
    assert post(receiver.http_url("traces"), b"\x0a\xff", "application/x-protobuf")[0] == 400
    assert post(receiver.http_url("logs"), b"[1]", "application/json")[0] == 400
    assert receiver.request_count(outcome="rejected") == 3
    assert receiver.spans() == []


@pytest.mark.parametrize(
    ("protocol", "exporter_class"), [("grpc", GrpcSpanExporter), ("http/protobuf", HttpSpanExporter)]
)
def test_exporter_env_points_sdk_exporters_here(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch, protocol: str, exporter_class: Any
) -> None:
    for name, value in receiver.exporter_env(protocol).items():
        monkeypatch.setenv(name, value)
    exporter = exporter_class(timeout=2.0)  # endpoint from OTEL_EXPORTER_OTLP_ENDPOINT only
    try:
        assert exporter.export(span_batch("configured by env")).name == "SUCCESS"
    finally:
        exporter.shutdown()
    (span,) = receiver.wait_for_spans("configured by env")
    assert span.transport == protocol.partition("/")[0]


# -- waiting -------------------------------------------------------------------------------------------------------


def test_wait_returns_as_soon_as_data_arrives(receiver: OTLPReceiver, make_exporter: Callable[..., Any]) -> None:
    exporter = make_exporter("traces", "http", receiver)
    threading.Timer(0.2, lambda: exporter.export(span_batch("late"))).start()
    started = time.monotonic()
    (span,) = receiver.wait_for_spans(lambda span: span.name.startswith("la"), timeout=5)
    assert span.name == "late"
    assert time.monotonic() - started < 2
    assert receiver.wait_for_spans(1) == [span]


def test_wait_timeout_explains_what_arrived(receiver: OTLPReceiver, make_exporter: Callable[..., Any]) -> None:
    make_exporter("traces", "http", receiver).export(span_batch("present"))
    with pytest.raises(AssertionError) as raised:
        receiver.wait_for_spans("absent", timeout=0.2)
    message = str(raised.value)
    assert "named 'absent'" in message
    assert "'present' (INTERNAL, UNSET, via http)" in message
    assert "traces/http/accepted=1" in message
    with pytest.raises(AssertionError, match=r"2 metrics record\(s\); received 0"):
        receiver.wait_for_metrics(2, timeout=0.1)


# -- faults, outages and lifecycle ---------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["grpc", "http"])
@pytest.mark.parametrize("signal_name", ["traces", "metrics", "logs"])
@pytest.mark.parametrize(
    ("mode", "outcome"), [("unavailable", "unavailable"), ("throttle", "throttled"), ("hang", "hung")]
)
def test_fault_mode_fails_the_export_until_ok_again(
    receiver: OTLPReceiver,
    make_exporter: Callable[..., Any],
    transport: str,
    signal_name: str,
    mode: Any,
    outcome: str,
) -> None:
    # A short exporter timeout: the exporter's first backoff (about 1 s) exceeds it, so it gives up after one try.
    exporter = make_exporter(signal_name, transport, receiver, timeout=0.5)
    receiver.set_mode(mode)
    assert exporter.export(BATCH_BUILDERS[signal_name]("lost")).name == "FAILURE"
    assert receiver.request_count(signal_name, transport, outcome) == 1
    assert received_names(receiver, signal_name) == []

    receiver.set_mode("ok")
    assert exporter.export(BATCH_BUILDERS[signal_name]("delivered")).name == "SUCCESS"
    assert received_names(receiver, signal_name) == ["delivered"]


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_throttle_retry_delay_reaches_the_exporter(
    receiver: OTLPReceiver, make_exporter: Callable[..., Any], transport: str
) -> None:
    exporter = make_exporter("traces", transport, receiver, timeout=5.0)
    receiver.set_mode("throttle", retry_after_seconds=0.3)
    threading.Timer(0.1, receiver.set_mode, args=("ok",)).start()
    started = time.monotonic()
    assert exporter.export(span_batch("retried")).name == "SUCCESS"
    # The exporter slept the receiver's 0.3 s, not its own first backoff of 0.8-1.2 s.
    assert 0.25 < time.monotonic() - started < 0.8
    assert receiver.request_counts() == {("traces", transport, "throttled"): 1, ("traces", transport, "accepted"): 1}


def test_http_fault_responses(receiver: OTLPReceiver) -> None:
    receiver.set_mode("throttle")
    status, headers, _ = post(receiver.http_url("traces"), EMPTY_TRACE_REQUEST, "application/x-protobuf")
    assert (status, headers["Retry-After"]) == (429, "1")
    receiver.set_mode("unavailable")
    assert post(receiver.http_url("traces"), EMPTY_TRACE_REQUEST, "application/x-protobuf")[0] == 503


def test_hang_is_bounded_and_released_by_mode_change() -> None:
    with OTLPReceiver(max_hang_seconds=0.3) as receiver:
        receiver.set_mode("hang")
        started = time.monotonic()
        assert post(receiver.http_url("traces"), EMPTY_TRACE_REQUEST, "application/x-protobuf")[0] == 503
        assert 0.25 < time.monotonic() - started < 2

        started = time.monotonic()
        with grpc.insecure_channel(receiver.grpc_endpoint.removeprefix("http://")) as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Export(trace_service_pb2.ExportTraceServiceRequest(), timeout=5)
        assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
        assert 0.25 < time.monotonic() - started < 2

    with OTLPReceiver() as receiver:
        receiver.set_mode("hang")
        answers: list[int] = []
        request = threading.Thread(
            target=lambda: answers.append(
                post(receiver.http_url("traces"), span_request("hung"), "application/x-protobuf")[0]
            )
        )
        request.start()
        deadline = time.monotonic() + 5
        while receiver.request_count(outcome="hung") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        receiver.set_mode("ok")
        request.join(timeout=2)
        assert answers == [503]
        assert receiver.spans() == []  # a hung request is answered with a failure and never recorded


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _receiver_threads(excluding: set[threading.Thread]) -> list[str]:
    return [thread.name for thread in set(threading.enumerate()) - excluding if thread.name.startswith("otlp-receiver")]


def test_stop_frees_ports_and_joins_threads(make_exporter: Callable[..., Any]) -> None:
    threads_before = set(threading.enumerate())  # the module's shared receiver keeps running meanwhile
    receiver = OTLPReceiver().start()
    ports = [int(receiver.grpc_endpoint.rsplit(":", 1)[1]), int(receiver.http_endpoint.rsplit(":", 1)[1])]
    assert receiver.http_endpoint.startswith("http://127.0.0.1:") and receiver.grpc_endpoint.startswith(
        "http://127.0.0.1:"
    )
    for transport in ("grpc", "http"):
        assert make_exporter("traces", transport, receiver).export(span_batch(transport)).name == "SUCCESS"
    assert all(_listening(port) for port in ports)

    receiver.stop()
    receiver.stop()  # idempotent
    assert not any(_listening(port) for port in ports)
    assert _receiver_threads(excluding=threads_before) == []
    for port in ports:
        with socket.socket() as rebind:
            rebind.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            rebind.bind(("127.0.0.1", port))
    assert [span.name for span in receiver.spans()] == ["grpc", "http"]  # records outlive the servers


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_telemetry_resumes_after_restart_on_the_same_ports(make_exporter: Callable[..., Any], transport: str) -> None:
    with OTLPReceiver() as receiver:
        endpoints = (receiver.grpc_endpoint, receiver.http_endpoint)
        exporter = make_exporter("traces", transport, receiver, timeout=3.0)
        assert exporter.export(span_batch("before")).name == "SUCCESS"

        receiver.stop()
        fail_fast = make_exporter("traces", transport, receiver, timeout=0.5)
        assert fail_fast.export(span_batch("during")).name == "FAILURE"

        receiver.start()
        assert (receiver.grpc_endpoint, receiver.http_endpoint) == endpoints
        assert exporter.export(span_batch("after")).name == "SUCCESS"
        receiver.restart()
        assert exporter.export(span_batch("after restart()")).name == "SUCCESS"
        assert [span.name for span in receiver.spans()] == ["before", "after", "after restart()"]


def test_unstarted_receiver_has_no_endpoint_and_rejects_unknown_modes() -> None:
    receiver = OTLPReceiver()
    with pytest.raises(RuntimeError, match="not been started"):
        receiver.grpc_endpoint  # noqa: B018
    with pytest.raises(ValueError, match="unknown receiver mode"):
        receiver.set_mode("flaky")  # type: ignore[arg-type]
    assert receiver.mode == "ok"


# -- command line --------------------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_command_line_dumps_everything_on_sigterm(tmp_path: Path, make_exporter: Callable[..., Any]) -> None:
    dump_file = tmp_path / "received.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_otel.testing.otlp_receiver", "--dump", str(dump_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        endpoints = json.loads(process.stdout.readline())
        assert set(endpoints) == {"grpc_endpoint", "http_endpoint"}
        elsewhere = SimpleNamespace(**endpoints)
        provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(make_exporter("traces", "http", elsewhere)))
        with provider.get_tracer("cli").start_as_current_span("from-subprocess", attributes={"ids": [1, 2]}):
            pass
        assert make_exporter("logs", "grpc", elsewhere).export(log_batch("cli.event")).name == "SUCCESS"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()

    dump = json.loads(dump_file.read_text())
    (span,) = dump["spans"]
    assert (span["name"], span["attributes"], span["transport"]) == ("from-subprocess", {"ids": [1, 2]}, "http")
    assert [log["event_name"] for log in dump["logs"]] == ["cli.event"]
    assert dump["metrics"] == []
    assert dump["requests"] == [
        {"signal": "logs", "transport": "grpc", "outcome": "accepted", "count": 1},
        {"signal": "traces", "transport": "http", "outcome": "accepted", "count": 1},
    ]
