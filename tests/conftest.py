"""Shared fixtures: real OpenTelemetry SDK providers with in-memory readers, the fake LLM server, SDK clients.

Internal errors in genai-otel are re-raised under the test suite so bugs cannot hide behind the safety guard.
"""

from __future__ import annotations

import os

os.environ.setdefault("GENAI_OTEL_RAISE_INTERNAL_ERRORS", "true")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from genai_otel.testing.fake_llm import FakeLLMServer  # noqa: E402

SHARED_CASSETTES = Path(__file__).resolve().parents[1].parent / "shared" / "cassettes"
FAKE_API_KEY = "sk-test-FAKEKEY-0123456789abcdefABCDEF"
FAKE_ANTHROPIC_KEY = "sk-ant-test-FAKEKEY-0123456789abcdef"


class Telemetry:
    """What the instrumentation emitted during one test, read from the SDK's in-memory exporters."""

    def __init__(self, spans: InMemorySpanExporter, reader: InMemoryMetricReader) -> None:
        self._spans = spans
        self._reader = reader

    def clear(self) -> None:
        self._spans.clear()
        self._reader.get_metrics_data()  # cumulative, so remember the baseline instead
        self._baseline = self._collect()

    def spans(self) -> list[ReadableSpan]:
        return list(self._spans.get_finished_spans())

    def genai_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.instrumentation_scope and s.instrumentation_scope.name == "genai_otel"]

    def only_span(self) -> ReadableSpan:
        spans = self.genai_spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def _collect(self) -> dict[tuple[str, frozenset[tuple[str, Any]]], dict[str, Any]]:
        points: dict[tuple[str, frozenset[tuple[str, Any]]], dict[str, Any]] = {}
        data = self._reader.get_metrics_data()
        if data is None:
            return points
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    for point in metric.data.data_points:
                        key = (metric.name, frozenset((point.attributes or {}).items()))
                        entry: dict[str, Any] = {"unit": metric.unit, "attributes": dict(point.attributes or {})}
                        if hasattr(point, "bucket_counts"):
                            entry.update(count=point.count, sum=point.sum, bounds=tuple(point.explicit_bounds),
                                         buckets=tuple(point.bucket_counts))
                        else:
                            entry.update(value=point.value)
                        points[key] = entry
        return points

    def metric_points(self, name: str) -> list[dict[str, Any]]:
        """Points of metric ``name`` recorded since the last ``clear()`` (deltas of the cumulative data)."""
        baseline = getattr(self, "_baseline", {})
        out = []
        for (metric_name, attrs), entry in self._collect().items():
            if metric_name != name:
                continue
            before = baseline.get((metric_name, attrs))
            entry = dict(entry)
            if "count" in entry:
                if before is not None:
                    entry["count"] -= before["count"]
                    entry["sum"] -= before["sum"]
                    entry["buckets"] = tuple(a - b for a, b in zip(entry["buckets"], before["buckets"], strict=True))
                if entry["count"] == 0:
                    continue
            elif before is not None:
                entry["value"] -= before["value"]
                if entry["value"] == 0:
                    continue
            out.append(entry)
        return out


_span_exporter = InMemorySpanExporter()
_metric_reader = InMemoryMetricReader()
TRACER_PROVIDER = TracerProvider()
TRACER_PROVIDER.add_span_processor(SimpleSpanProcessor(_span_exporter))
METER_PROVIDER = MeterProvider(metric_readers=[_metric_reader])


@pytest.fixture(scope="session")
def instrumented() -> Iterator[None]:
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    yield
    instrumentor.uninstrument()


@pytest.fixture
def telemetry(instrumented: None) -> Iterator[Telemetry]:
    recorded = Telemetry(_span_exporter, _metric_reader)
    recorded.clear()
    yield recorded
    recorded.clear()


@pytest.fixture
def tracer() -> Any:
    return TRACER_PROVIDER.get_tracer("tests")


@pytest.fixture
def cassettes() -> Path:
    if not SHARED_CASSETTES.is_dir():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES} (../shared is absent)")
    return SHARED_CASSETTES


# --- suite-wide secret scan (issue 5): every span, event, metric and log exported during the whole run is scanned
# for the API keys and header secrets the tests use; any hit fails the test it happened in (see tests/_secret_scan.py)
from tests._secret_scan import pytest_sessionfinish, secret_scan, secret_scan_session  # noqa: E402,F401


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLMServer]:
    """One fake LLM server for the whole run (tests/hardening and tests/fake_llm bring their own)."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def server(fake_llm: FakeLLMServer) -> FakeLLMServer:
    """The shared fake LLM server with its request log cleared for this test."""
    fake_llm.clear()
    return fake_llm
