"""Cost metrics are recorded whether or not the span is sampled."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from tests.cost.conftest import COST_METRIC, HAS_ANTHROPIC, MESSAGES, UNPRICED_METRIC, instrumented_with


def test_cost_metrics_with_sampling_off(client: openai.OpenAI, fake_llm: Any, telemetry: Any) -> None:
    spans = InMemorySpanExporter()
    unsampled = TracerProvider(sampler=ALWAYS_OFF)
    unsampled.add_span_processor(SimpleSpanProcessor(spans))
    with instrumented_with(tracer_provider=unsampled):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        client.chat.completions.create(model="house-llama-unsampled", messages=MESSAGES)
        if HAS_ANTHROPIC:
            import anthropic

            from tests.conftest import FAKE_ANTHROPIC_KEY

            with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=fake_llm.anthropic_base_url,
                                     max_retries=0) as claude:
                claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MESSAGES)
    assert spans.get_finished_spans() == ()
    assert telemetry.genai_spans() == []
    costs = {p["attributes"]["gen_ai.provider.name"]: p["value"] for p in telemetry.metric_points(COST_METRIC)}
    # gpt-4o-mini: 8 x 0.15 + 5 x 0.60 = 4.2 µ$; claude-haiku-4-5: 8 x 1.00 + 5 x 5.00 = 33 µ$
    expected = {"openai": 4.2e-6, **({"anthropic": 33e-6} if HAS_ANTHROPIC else {})}
    assert costs == pytest.approx(expected, rel=1e-9)
    [unpriced] = telemetry.metric_points(UNPRICED_METRIC)
    assert (unpriced["attributes"]["gen_ai.request.model"], unpriced["value"]) == ("house-llama-unsampled", 1)
