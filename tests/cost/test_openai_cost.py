"""Cost of OpenAI calls through the real ``openai`` SDK, over HTTP, against the fake LLM server.

Prices (USD per million tokens, bundled table): gpt-4o-mini input 0.15, cached 0.075, output 0.60; gpt-5-mini
input 0.25 / cached 0.025 / output 2.00, flex 0.125 / 0.0125 / 1.00, priority 0.45 / 0.045 / 3.60; o4-mini input 1.10,
output 4.40; o3 input 2.00, cached 0.50, output 8.00; gpt-5.4 input 2.50 / cached 0.25 / output 15.00, above 272,000
input tokens 5.00 / 0.50 / 22.50, flex long-context 2.50 / 0.25 / 11.25; gpt-6-astra input 10.00, cache write 12.50,
output 50.00; text-embedding-3-small input 0.02.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.conftest import FAKE_API_KEY
from tests.cost.conftest import COST, COST_METRIC, MESSAGES, UNKNOWN, cost_point, directives, usd


def _metric_attributes(request_model: str, response_model: str, *, operation: str = "chat",
                       provider: str = "openai") -> dict[str, Any]:
    return {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider,
            "gen_ai.request.model": request_model, "gen_ai.response.model": response_model}


def test_plain_chat(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (8, 5)
    # 8 x 0.15 + 5 x 0.60 = 1.2 + 3.0 = 4.2 µ$
    assert type(attrs[COST]) is float
    assert attrs[COST] == usd(4.2e-6)
    assert UNKNOWN not in attrs
    point = cost_point(telemetry)
    assert point["unit"] == "USD"
    assert point["attributes"] == _metric_attributes("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert point["value"] == pytest.approx(4.2e-6, rel=1e-9)
    assert telemetry.metric_points("genai_otel.client.unpriced_calls") == []


def test_cached_read(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **directives(cached=1000))
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_read.input_tokens"]) == (1008, 1000)
    # uncached 1008 - 1000 = 8: 8 x 0.15 + 1000 x 0.075 + 5 x 0.60 = 1.2 + 75 + 3.0 = 79.2 µ$
    assert attrs[COST] == usd(79.2e-6)


def test_cache_write(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model="gpt-6-astra", messages=MESSAGES, **directives(cache_write=1000))
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.input_tokens"] == 1008
    # 8 x 10.00 + 1000 x 12.50 (cache write) + 5 x 50.00 = 80 + 12500 + 250 = 12830 µ$
    assert attrs[COST] == usd(12830e-6)


def test_reasoning_tokens_are_output(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model="o4-mini", messages=MESSAGES, **directives(reasoning=100))
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.usage.output_tokens"], attrs["gen_ai.usage.reasoning.output_tokens"]) == (105, 100)
    # output 5 + 100 reasoning = 105, counted once: 8 x 1.10 + 105 x 4.40 = 8.8 + 462 = 470.8 µ$
    assert attrs[COST] == usd(470.8e-6)
    assert cost_point(telemetry)["attributes"] == _metric_attributes("o4-mini", "o4-mini-2025-04-16")


@pytest.mark.parametrize(("tier", "reported", "expected"), [
    ("flex", "flex", 6.0e-6),          # 8 x 0.125 + 5 x 1.00 = 1.0 + 5.0 = 6.0 µ$
    ("priority", "priority", 21.6e-6),  # 8 x 0.45 + 5 x 3.60 = 3.6 + 18.0 = 21.6 µ$
    ("default", "default", 12.0e-6),    # 8 x 0.25 + 5 x 2.00 = 2.0 + 10.0 = 12.0 µ$
    ("auto", "default", 12.0e-6),       # auto is served (and reported) as default
])
def test_service_tier(client: openai.OpenAI, telemetry: Any, tier: str, reported: str, expected: float) -> None:
    client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES, service_tier=tier)  # type: ignore[arg-type]
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["openai.response.service_tier"] == reported
    assert attrs[COST] == usd(expected)


def test_the_tier_the_response_reports_wins(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    # The caller asks for flex; the body the server sees says priority (as when a provider serves another tier).
    client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES, service_tier="flex",
                                   extra_body={"service_tier": "priority"})
    assert fake_llm.requests[-1].body["service_tier"] == "priority"
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["openai.request.service_tier"], attrs["openai.response.service_tier"]) == ("flex", "priority")
    # priority prices: 8 x 0.45 + 5 x 3.60 = 21.6 µ$ (flex would be 6.0 µ$)
    assert attrs[COST] == usd(21.6e-6)


@pytest.mark.parametrize(("cached", "tier", "expected"), [
    # 8 + 271992 = 272000 input tokens: not above the 272,000 threshold, standard rates:
    # 8 x 2.50 + 271992 x 0.25 + 5 x 15.00 = 20 + 67998 + 75 = 68093 µ$
    (271992, "default", 68093e-6),
    # 8 + 272000 = 272008 > 272,000: long-context rates for the whole request:
    # 8 x 5.00 + 272000 x 0.50 + 5 x 22.50 = 40 + 136000 + 112.5 = 136152.5 µ$
    (272000, "default", 136152.5e-6),
    # flex, long context: 8 x 2.50 + 272000 x 0.25 + 5 x 11.25 = 20 + 68000 + 56.25 = 68076.25 µ$
    (272000, "flex", 68076.25e-6),
])
def test_long_context(client: openai.OpenAI, telemetry: Any, cached: int, tier: str, expected: float) -> None:
    client.chat.completions.create(model="gpt-5.4", messages=MESSAGES, service_tier=tier,  # type: ignore[arg-type]
                                   **directives(cached=cached))
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.input_tokens"] == 8 + cached
    assert attrs[COST] == usd(expected)


def test_stream_with_usage(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True}, **directives(cached=1000))
    for _ in stream:
        pass
    # as test_cached_read: 1.2 + 75 + 3.0 = 79.2 µ$
    assert dict(telemetry.only_span().attributes)[COST] == usd(79.2e-6)
    assert cost_point(telemetry)["value"] == pytest.approx(79.2e-6, rel=1e-9)


def test_stream_without_usage_is_not_priced(client: openai.OpenAI, telemetry: Any) -> None:
    # Against a server not known to accept stream_options, nothing asks for usage: no usage, so no cost and no
    # "unknown" marker (the model has a price; the call's tokens are unknown, as on the token metrics).
    for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
        pass
    attrs = dict(telemetry.only_span().attributes)
    assert "gen_ai.usage.input_tokens" not in attrs
    assert COST not in attrs and UNKNOWN not in attrs
    assert telemetry.metric_points(COST_METRIC) == []


async def test_async_chat(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    # 8 x 0.15 + 5 x 0.60 = 4.2 µ$
    assert dict(telemetry.only_span().attributes)[COST] == usd(4.2e-6)


def test_failed_call_is_not_priced(client: openai.OpenAI, telemetry: Any) -> None:
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **directives(status=429))
    attrs = dict(telemetry.only_span().attributes)
    assert COST not in attrs and UNKNOWN not in attrs
    assert telemetry.metric_points(COST_METRIC) == []


def test_embeddings(client: openai.OpenAI, telemetry: Any) -> None:
    client.embeddings.create(model="text-embedding-3-small", input="one two three four five")
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.input_tokens"] == 5
    # 5 x 0.02 = 0.1 µ$
    assert attrs[COST] == usd(0.1e-6)
    assert cost_point(telemetry)["attributes"] == _metric_attributes(
        "text-embedding-3-small", "text-embedding-3-small", operation="embeddings")


def test_responses_api_and_fetch(client: openai.OpenAI, telemetry: Any) -> None:
    response = client.responses.create(model="o3", input="one two three four five",
                                       **directives(cached=100, reasoning=10))
    client.responses.retrieve(response.id)
    create, fetch = telemetry.genai_spans()
    attrs = dict(create.attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (108, 15)
    # input 8 + 100 cached, output 5 + 10 reasoning:
    # 8 x 2.00 + 100 x 0.50 + 15 x 8.00 = 16 + 50 + 120 = 186 µ$
    assert attrs[COST] == usd(186e-6)
    # Fetching a stored response is not an inference: it was priced when it was generated.
    assert dict(fetch.attributes)["gen_ai.operation.name"] == "fetch_response"
    assert COST not in dict(fetch.attributes) and UNKNOWN not in dict(fetch.attributes)
    assert cost_point(telemetry)["attributes"] == _metric_attributes("o3", "o3-2025-04-16")


def test_azure_uses_openai_prices(fake_llm: Any, telemetry: Any) -> None:
    with openai.AzureOpenAI(api_key=FAKE_API_KEY, api_version="2024-10-21", base_url=f"{fake_llm.url}/openai",
                            max_retries=0) as azure:
        azure.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
    # the response model, gpt-4o-mini-2024-07-18, at OpenAI's prices: 8 x 0.15 + 5 x 0.60 = 4.2 µ$
    assert attrs[COST] == usd(4.2e-6)
    assert cost_point(telemetry)["attributes"] == _metric_attributes(
        "gpt-4o-mini", "gpt-4o-mini-2024-07-18", provider="azure.ai.openai")
