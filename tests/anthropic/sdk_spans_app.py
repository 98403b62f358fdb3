"""A tiny application run in its own process by ``test_sdk_spans.py``: a *global* TracerProvider (which is what makes
the anthropic SDK emit its own spans), genai-otel instrumented the way ``opentelemetry-instrument`` would, a few
Anthropic calls under one caller span. Prints what was exported and what the fake server saw, as JSON."""

from __future__ import annotations

import json
import sys

import anthropic
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
from genai_otel.testing.fake_llm import FakeLLMServer

USER = [{"role": "user", "content": "Say this is a test"}]


def main() -> None:
    instrument = sys.argv[1] != "plain"
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    if sys.argv[1] == "instrumented-no-global":  # providers given to instrument() only: the SDK has none
        AnthropicInstrumentor().instrument(tracer_provider=provider,
                                           meter_provider=MeterProvider(metric_readers=[reader]))
    else:
        trace.set_tracer_provider(provider)
        if instrument:
            AnthropicInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    with FakeLLMServer() as server:
        client = anthropic.Anthropic(api_key="sk-ant-fake", base_url=server.anthropic_base_url, max_retries=0)
        with provider.get_tracer("app").start_as_current_span("caller"):
            client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
            list(client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER, stream=True))
            with client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=USER) as stream:
                stream.until_done()
            try:  # an endpoint genai-otel does not instrument (the fake server does not serve it: 404)
                if hasattr(client.messages, "count_tokens"):
                    client.messages.count_tokens(model="claude-haiku-4-5", messages=USER)  # type: ignore[arg-type]
            except anthropic.NotFoundError:
                pass
        if sys.argv[1] == "instrumented-no-global":  # and one call with no span of the caller's around it
            client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
        traceparents = [request.headers.get("traceparent") for request in server.requests]
    data = reader.get_metrics_data()
    durations = [point.count for rm in (data.resource_metrics if data else []) for sm in rm.scope_metrics
                 for metric in sm.metrics if metric.name == "gen_ai.client.operation.duration"
                 for point in metric.data.data_points]
    spans = [{
        "name": span.name,
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
        "span_id": f"{span.context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "attributes": {key: list(value) if isinstance(value, tuple) else value
                       for key, value in (span.attributes or {}).items()},
    } for span in exporter.get_finished_spans()]
    print(json.dumps({"spans": spans, "traceparents": traceparents, "durations": durations}))


if __name__ == "__main__":
    main()
