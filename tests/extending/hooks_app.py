"""A small app for tests/extending/test_hooks_config.py: instruments OpenAI in process (hooks come from the
environment and entry points), makes one chat call to ``OPENAI_BASE_URL`` and prints what was recorded as JSON."""

from __future__ import annotations

import json
import logging

import openai
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genai_otel.instrumentation.openai import OpenAIInstrumentor


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def main() -> None:
    logs = _Lines()
    logging.getLogger("genai_otel").addHandler(logs)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]))
    client = openai.OpenAI(max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    [span] = spans.get_finished_spans()
    duration = {}
    for resource_metrics in reader.get_metrics_data().resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == "gen_ai.client.operation.duration":
                    duration = dict(metric.data.data_points[0].attributes)
    print(json.dumps({"span": {k: v for k, v in span.attributes.items() if k.startswith("app.")},
                      "duration": duration, "logs": logs.lines}))


if __name__ == "__main__":
    main()
