"""Calls whose model has no price: no cost attribute, the marker, the unpriced-calls counter, one warning per model."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest

from tests.cost.conftest import (
    COST,
    COST_METRIC,
    HAS_ANTHROPIC,
    MESSAGES,
    NO_ANTHROPIC,
    UNKNOWN,
    UNPRICED_METRIC,
    cost_point,
)


def _warnings(caplog: pytest.LogCaptureFixture, model: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.name == "genai_otel" and repr(model) in r.getMessage()]


def test_unknown_openai_model(client: openai.OpenAI, telemetry: Any, caplog: pytest.LogCaptureFixture) -> None:
    model = "house-llama-unpriced-1"  # the fake server echoes the name back as the response model
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        for _ in range(3):
            client.chat.completions.create(model=model, messages=MESSAGES)
    for span in telemetry.genai_spans():
        attrs = dict(span.attributes)
        assert attrs["gen_ai.usage.input_tokens"] == 8
        assert COST not in attrs
        assert attrs[UNKNOWN] is True
    point = cost_point(telemetry, UNPRICED_METRIC)
    assert point["unit"] == "{call}"
    assert point["attributes"] == {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                                   "gen_ai.request.model": model, "gen_ai.response.model": model}
    assert point["value"] == 3
    assert telemetry.metric_points(COST_METRIC) == []
    [warning] = _warnings(caplog, model)
    assert repr("openai") in warning
    assert "GENAI_OTEL_PRICES_FILE" in warning


def test_one_warning_per_provider_and_model(client: openai.OpenAI, fake_llm: Any, telemetry: Any,
                                            caplog: pytest.LogCaptureFixture) -> None:
    from tests.conftest import FAKE_API_KEY

    model = "house-llama-unpriced-2"
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        client.chat.completions.create(model=model, messages=MESSAGES)
        client.embeddings.create(model=model, input="one two")
        with openai.AzureOpenAI(api_key=FAKE_API_KEY, api_version="2024-10-21", base_url=f"{fake_llm.url}/openai",
                                max_retries=0) as azure:
            azure.chat.completions.create(model=model, messages=MESSAGES)
    warnings = _warnings(caplog, model)
    assert len(warnings) == 2  # (openai, model) once, whatever the operation; (azure.ai.openai, model) once
    assert [repr("openai") in w for w in warnings] == [True, False]
    assert repr("azure.ai.openai") in warnings[1]
    points = telemetry.metric_points(UNPRICED_METRIC)
    assert sorted((p["attributes"]["gen_ai.provider.name"], p["attributes"]["gen_ai.operation.name"], p["value"])
                  for p in points) == [("azure.ai.openai", "chat", 1), ("openai", "chat", 1),
                                       ("openai", "embeddings", 1)]


def test_fine_tuned_models_are_not_priced_as_their_base(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model="ft:gpt-4o-mini-2024-07-18:acme::abc123", messages=MESSAGES)
    attrs = dict(telemetry.only_span().attributes)
    assert COST not in attrs
    assert attrs[UNKNOWN] is True


def test_the_request_model_is_not_a_fallback(client: openai.OpenAI, telemetry: Any) -> None:
    # gpt-4o-mini has a price, but the response says it was served by a model without one: no guess.
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                   extra_body={"model": "house-llama-unpriced-3"})
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.request.model"], attrs["gen_ai.response.model"]) == ("gpt-4o-mini",
                                                                                "house-llama-unpriced-3")
    assert COST not in attrs
    assert attrs[UNKNOWN] is True


@pytest.mark.skipif(not HAS_ANTHROPIC, reason=NO_ANTHROPIC)
def test_unknown_anthropic_model(anthropic_client: Any, telemetry: Any, caplog: pytest.LogCaptureFixture) -> None:
    model = "claude-imaginary-9"
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        anthropic_client.messages.create(model=model, max_tokens=100, messages=MESSAGES)
        anthropic_client.messages.create(model=model, max_tokens=100, messages=MESSAGES)
    assert all(dict(s.attributes)[UNKNOWN] is True and COST not in dict(s.attributes)
               for s in telemetry.genai_spans())
    assert cost_point(telemetry, UNPRICED_METRIC)["value"] == 2
    [warning] = _warnings(caplog, model)
    assert repr("anthropic") in warning
