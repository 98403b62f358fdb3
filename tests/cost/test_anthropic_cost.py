"""Cost of Anthropic calls through the real ``anthropic`` SDK, over HTTP, against the fake LLM server.

Prices (USD per million tokens, bundled table): claude-haiku-4-5 input 1.00, cache read 0.10, 5-minute cache write
1.25, output 5.00; claude-sonnet-4-5 input 3.00, cache read 0.30, output 15.00, and above 200,000 input tokens
6.00 / 0.60 / 22.50. Anthropic reports ``input_tokens`` without the cache reads and writes; the adapter adds them up.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cost.conftest import COST, HAS_ANTHROPIC, NO_ANTHROPIC, UNKNOWN, cost_point, directives, usd

pytestmark = pytest.mark.skipif(not HAS_ANTHROPIC, reason=NO_ANTHROPIC)

USER = [{"role": "user", "content": "one two three four five"}]
"""3 + 5 = 8 input tokens; the answer is 5 words, 5 output tokens."""
HAIKU = "claude-haiku-4-5"
HAIKU_DATED = "claude-haiku-4-5-20251001"


def _metric_attributes(request_model: str, response_model: str, provider: str = "anthropic") -> dict[str, Any]:
    return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider,
            "gen_ai.request.model": request_model, "gen_ai.response.model": response_model}


def test_plain(anthropic_client: Any, telemetry: Any) -> None:
    anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER)
    attrs = dict(telemetry.only_span().attributes)
    # 8 x 1.00 + 5 x 5.00 = 8 + 25 = 33 µ$
    assert type(attrs[COST]) is float
    assert attrs[COST] == usd(33e-6)
    assert UNKNOWN not in attrs
    point = cost_point(telemetry)
    assert point["attributes"] == _metric_attributes(HAIKU, HAIKU_DATED)
    assert point["value"] == pytest.approx(33e-6, rel=1e-9)


def test_cache_read(anthropic_client: Any, telemetry: Any) -> None:
    anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER, **directives(cached=1000))
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_read.input_tokens"]) == (1008, 1000)
    # 8 x 1.00 + 1000 x 0.10 + 5 x 5.00 = 8 + 100 + 25 = 133 µ$
    assert attrs[COST] == usd(133e-6)


def test_cache_write(anthropic_client: Any, telemetry: Any) -> None:
    # The fake server reports the writes as 5-minute ones (cache_creation.ephemeral_5m_input_tokens).
    anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER, **directives(cache_write=1000))
    attrs = dict(telemetry.only_span().attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_creation.input_tokens"]) == (1008, 1000)
    # 8 x 1.00 + 1000 x 1.25 + 5 x 5.00 = 8 + 1250 + 25 = 1283 µ$
    assert attrs[COST] == usd(1283e-6)


def test_cache_read_and_write(anthropic_client: Any, telemetry: Any) -> None:
    anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER,
                                     **directives(cached=2000, cache_write=1000))
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.input_tokens"] == 3008
    # 8 x 1.00 + 2000 x 0.10 + 1000 x 1.25 + 5 x 5.00 = 8 + 200 + 1250 + 25 = 1483 µ$
    assert attrs[COST] == usd(1483e-6)


def test_thinking_is_output(anthropic_client: Any, telemetry: Any) -> None:
    message = anthropic_client.messages.create(model=HAIKU, max_tokens=2048, messages=USER,
                                               thinking={"type": "enabled", "budget_tokens": 1024},
                                               **directives(reasoning=40))
    assert [block.type for block in message.content] == ["thinking", "text"]
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.output_tokens"] == 45
    # 5 answer words + 40 thinking words = 45 output tokens: 8 x 1.00 + 45 x 5.00 = 8 + 225 = 233 µ$
    assert attrs[COST] == usd(233e-6)


@pytest.mark.filterwarnings("ignore:The model .claude-sonnet-4-5. is deprecated:DeprecationWarning")
@pytest.mark.parametrize(("cached", "expected"), [
    # 8 + 199992 = 200000 input tokens, not above the threshold:
    # 8 x 3.00 + 199992 x 0.30 + 5 x 15.00 = 24 + 59997.6 + 75 = 60096.6 µ$
    (199992, 60096.6e-6),
    # 8 + 200000 = 200008 > 200,000: long-context rates for the whole request:
    # 8 x 6.00 + 200000 x 0.60 + 5 x 22.50 = 48 + 120000 + 112.5 = 120160.5 µ$
    (200000, 120160.5e-6),
])
def test_long_context(anthropic_client: Any, telemetry: Any, cached: int, expected: float) -> None:
    anthropic_client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=USER,
                                     **directives(cached=cached))
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.response.model"] == "claude-sonnet-4-5-20250929"
    assert attrs["gen_ai.usage.input_tokens"] == 8 + cached
    assert attrs[COST] == usd(expected)


def test_stream_true(anthropic_client: Any, telemetry: Any) -> None:
    for _ in anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER, stream=True,
                                              **directives(cached=1000)):
        pass
    # as test_cache_read: 8 + 100 + 25 = 133 µ$
    assert dict(telemetry.only_span().attributes)[COST] == usd(133e-6)


def test_stream_helper(anthropic_client: Any, telemetry: Any) -> None:
    with anthropic_client.messages.stream(model=HAIKU, max_tokens=100, messages=USER) as stream:
        stream.get_final_message()
    # 8 x 1.00 + 5 x 5.00 = 33 µ$
    assert dict(telemetry.only_span().attributes)[COST] == usd(33e-6)


async def test_async(fake_llm: Any, telemetry: Any) -> None:
    import anthropic

    from tests.conftest import FAKE_ANTHROPIC_KEY

    async with anthropic.AsyncAnthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=fake_llm.anthropic_base_url,
                                        max_retries=0) as client:
        await client.messages.create(model=HAIKU, max_tokens=100, messages=USER)
    assert dict(telemetry.only_span().attributes)[COST] == usd(33e-6)


def test_bedrock_model_id(fake_llm: Any, telemetry: Any) -> None:
    import anthropic

    model = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    with anthropic.AnthropicBedrock(api_key="fake-bedrock-key", aws_region="us-east-1", max_retries=0,
                                    base_url=fake_llm.bedrock_base_url) as client:
        client.messages.create(model=model, max_tokens=100, messages=USER)
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    # Anthropic's prices for claude-haiku-4-5: 8 x 1.00 + 5 x 5.00 = 33 µ$
    assert attrs[COST] == usd(33e-6)
    assert cost_point(telemetry)["attributes"] == _metric_attributes(model, HAIKU_DATED, provider="aws.bedrock")


def test_vertex_model_id(fake_llm: Any, telemetry: Any) -> None:
    import anthropic

    model = "claude-haiku-4-5@20251001"
    with anthropic.AnthropicVertex(region="us-east5", project_id="proj", access_token="fake", max_retries=0,
                                   base_url=fake_llm.vertex_base_url) as client:
        client.messages.create(model=model, max_tokens=100, messages=USER)
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attrs[COST] == usd(33e-6)


def test_api_error_is_not_priced(anthropic_client: Any, telemetry: Any) -> None:
    import anthropic

    with pytest.raises(anthropic.RateLimitError):
        anthropic_client.messages.create(model=HAIKU, max_tokens=100, messages=USER, **directives(status=429))
    attrs = dict(telemetry.only_span().attributes)
    assert COST not in attrs and UNKNOWN not in attrs
