"""cost_usd against hand-computed costs.

Each expected value is written out as ``tokens x USD-per-million`` per token class, summed, divided by
one million. Rates are the bundled table's; a test fails if either the arithmetic or the table changes.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genai_otel.genai.pricing import PriceTable, cost_breakdown, cost_usd, normalize_service_tier
from genai_otel.genai.types import Usage

M = 1_000_000


def _cost(table: PriceTable, provider: str, model: str, usage: Usage, **kwargs: object) -> float:
    price = table.lookup(provider, model)
    assert price is not None, model
    total = cost_usd(price, usage, **kwargs)  # type: ignore[arg-type]
    # The itemised path must agree with the fast path, always.
    assert cost_breakdown(price, usage, **kwargs).total == pytest.approx(total, rel=1e-12, abs=1e-15)  # type: ignore[arg-type]
    return total


# --- OpenAI -------------------------------------------------------------------------------------------


def test_openai_plain(table: PriceTable) -> None:
    # gpt-4o: 1,000 in x $2.50 + 500 out x $10 = 2,500 + 5,000 = 7,500 / 1M
    usage = Usage(input_tokens=1_000, output_tokens=500)
    assert _cost(table, "openai", "gpt-4o", usage) == pytest.approx(7_500 / M)


def test_openai_cached_read(table: PriceTable) -> None:
    # gpt-4.1: input 10,000 of which 8,000 cached.
    # 2,000 x $2.00 + 8,000 x $0.50 + 1,000 out x $8.00 = 4,000 + 4,000 + 8,000 = 16,000 / 1M
    usage = Usage(input_tokens=10_000, cache_read_input_tokens=8_000, output_tokens=1_000)
    assert _cost(table, "openai", "gpt-4.1", usage) == pytest.approx(16_000 / M)


def test_openai_reasoning_is_output_and_not_added_twice(table: PriceTable) -> None:
    # o3: 2,000 in x $2 + 5,000 out (4,000 of them reasoning) x $8 = 4,000 + 40,000 = 44,000 / 1M
    usage = Usage(input_tokens=2_000, output_tokens=5_000, reasoning_output_tokens=4_000)
    assert _cost(table, "openai", "o3", usage) == pytest.approx(44_000 / M)


def test_openai_batch(table: PriceTable) -> None:
    # gpt-5-mini, batch: (80,000 x $0.25 + 20,000 cached x $0.025 + 10,000 out x $2)
    #   = 20,000 + 500 + 20,000 = 40,500, x 0.5 = 20,250 / 1M
    # (the page's batch table: 80,000 x 0.125 + 20,000 x 0.0125 + 10,000 x 1.00 = 20,250, the same)
    usage = Usage(input_tokens=100_000, cache_read_input_tokens=20_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5-mini", usage, batch=True) == pytest.approx(20_250 / M)
    assert _cost(table, "openai", "gpt-5-mini", usage, service_tier="batch") == pytest.approx(20_250 / M)


def test_openai_flex(table: PriceTable) -> None:
    # o3 flex: 10,000 in x $1.00 + 2,000 out x $4.00 = 10,000 + 8,000 = 18,000 / 1M
    usage = Usage(input_tokens=10_000, output_tokens=2_000)
    assert _cost(table, "openai", "o3", usage, service_tier="flex") == pytest.approx(18_000 / M)


@pytest.mark.parametrize("tier", ["priority", "fast", "Priority"])
def test_openai_priority_and_its_new_name_fast(table: PriceTable, tier: str) -> None:
    # gpt-4o-mini priority: 3,000 x $0.25 + 1,000 cached x $0.125 + 1,000 out x $1.00
    #   = 750 + 125 + 1,000 = 1,875 / 1M
    usage = Usage(input_tokens=4_000, cache_read_input_tokens=1_000, output_tokens=1_000)
    assert _cost(table, "openai", "gpt-4o-mini", usage, service_tier=tier) == pytest.approx(1_875 / M)


@pytest.mark.parametrize("tier", [None, "default", "auto", "scale", "flex"])
def test_openai_standard_when_tier_is_standard_or_not_offered(table: PriceTable, tier: str | None) -> None:
    # gpt-4o has no flex tier: 1,000 x $2.50 + 100 x $10 = 2,500 + 1,000 = 3,500 / 1M
    usage = Usage(input_tokens=1_000, output_tokens=100)
    assert _cost(table, "openai", "gpt-4o", usage, service_tier=tier) == pytest.approx(3_500 / M)


def test_openai_long_context(table: PriceTable) -> None:
    # gpt-5.4 above 272,000 input tokens: $5.00 / $0.50 cached / $22.50 out for the whole request.
    # 200,000 x 5 + 100,000 cached x 0.5 + 10,000 x 22.5 = 1,000,000 + 50,000 + 225,000 = 1,275,000 / 1M
    usage = Usage(input_tokens=300_000, cache_read_input_tokens=100_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage) == pytest.approx(1_275_000 / M)


def test_openai_long_context_threshold_is_exclusive(table: PriceTable) -> None:
    # Exactly 272,000: short rates. 272,000 x $2.50 + 10,000 x $15 = 680,000 + 150,000 = 830,000 / 1M
    usage = Usage(input_tokens=272_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage) == pytest.approx(830_000 / M)
    # One more token: long rates. 272,001 x $5 + 10,000 x $22.50 = 1,360,005 + 225,000 = 1,585,005 / 1M
    usage = Usage(input_tokens=272_001, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage) == pytest.approx(1_585_005 / M)


def test_openai_long_context_in_flex(table: PriceTable) -> None:
    # gpt-5.4 flex, long: 300,000 x $2.50 + 10,000 x $11.25 = 750,000 + 112,500 = 862,500 / 1M
    usage = Usage(input_tokens=300_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage, service_tier="flex") == pytest.approx(862_500 / M)


def test_openai_long_context_in_batch(table: PriceTable) -> None:
    # gpt-5.4 batch, long: (300,000 x $5 + 10,000 x $22.50) x 0.5 = (1,500,000 + 225,000) x 0.5 = 862,500 / 1M
    usage = Usage(input_tokens=300_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage, batch=True) == pytest.approx(862_500 / M)


def test_openai_tier_without_published_long_rates_uses_its_short_rates(table: PriceTable) -> None:
    # gpt-5.4 priority publishes no long-context rates: 300,000 x $5 + 10,000 x $30 = 1,800,000 / 1M
    usage = Usage(input_tokens=300_000, output_tokens=10_000)
    assert _cost(table, "openai", "gpt-5.4", usage, service_tier="priority") == pytest.approx(1_800_000 / M)


@pytest.mark.parametrize("ttl", ["5m", "1h"])
def test_openai_cache_write_single_price(table: PriceTable, ttl: str) -> None:
    # gpt-6-sol: input 50,000 = 20,000 uncached + 10,000 cache read + 20,000 cache write.
    # 20,000 x $2 + 10,000 x $0.20 + 20,000 x $2.50 + 1,000 out x $10 = 40,000 + 2,000 + 50,000 + 10,000
    #   = 102,000 / 1M, whatever the TTL (one cache-write price)
    usage = Usage(
        input_tokens=50_000, cache_read_input_tokens=10_000, cache_creation_input_tokens=20_000, output_tokens=1_000
    )
    assert _cost(table, "openai", "gpt-6-sol", usage, cache_write_ttl=ttl) == pytest.approx(102_000 / M)


def test_openai_embeddings(table: PriceTable) -> None:
    # text-embedding-3-small: 1,000,000 x $0.02 = 0.02
    usage = Usage(input_tokens=1_000_000)
    assert _cost(table, "openai", "text-embedding-3-small", usage) == pytest.approx(0.02)


# --- Anthropic ----------------------------------------------------------------------------------------


def test_anthropic_plain(table: PriceTable) -> None:
    # claude-sonnet-4-5: 1,000 x $3 + 500 x $15 = 3,000 + 7,500 = 10,500 / 1M
    usage = Usage(input_tokens=1_000, output_tokens=500)
    assert _cost(table, "anthropic", "claude-sonnet-4-5", usage) == pytest.approx(10_500 / M)


def test_anthropic_cache_read(table: PriceTable) -> None:
    # claude-haiku-4-5: input 10,000 of which 9,000 read from cache.
    # 1,000 x $1 + 9,000 x $0.10 + 200 out x $5 = 1,000 + 900 + 1,000 = 2,900 / 1M
    usage = Usage(input_tokens=10_000, cache_read_input_tokens=9_000, output_tokens=200)
    assert _cost(table, "anthropic", "claude-haiku-4-5", usage) == pytest.approx(2_900 / M)


def test_anthropic_cache_write_5m(table: PriceTable) -> None:
    # claude-opus-4-1: input 12,000 of which 10,000 written to a 5-minute cache.
    # 2,000 x $15 + 10,000 x $18.75 + 1,000 out x $75 = 30,000 + 187,500 + 75,000 = 292,500 / 1M
    usage = Usage(input_tokens=12_000, cache_creation_input_tokens=10_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-opus-4-1", usage) == pytest.approx(292_500 / M)
    assert _cost(table, "anthropic", "claude-opus-4-1", usage, cache_write_ttl="5m") == pytest.approx(292_500 / M)


def test_anthropic_cache_write_1h(table: PriceTable) -> None:
    # Same usage, 1-hour cache: 2,000 x $15 + 10,000 x $30 + 1,000 x $75 = 30,000 + 300,000 + 75,000 = 405,000 / 1M
    usage = Usage(input_tokens=12_000, cache_creation_input_tokens=10_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-opus-4-1", usage, cache_write_ttl="1h") == pytest.approx(405_000 / M)


def test_anthropic_thinking_is_output(table: PriceTable) -> None:
    # claude-opus-4-5: 2,000 x $5 + 8,000 out (6,000 thinking) x $25 = 10,000 + 200,000 = 210,000 / 1M
    usage = Usage(input_tokens=2_000, output_tokens=8_000, reasoning_output_tokens=6_000)
    assert _cost(table, "anthropic", "claude-opus-4-5", usage) == pytest.approx(210_000 / M)


def test_anthropic_batch(table: PriceTable) -> None:
    # claude-sonnet-4 batch: (100,000 x $3 + 5,000 x $15) x 0.5 = (300,000 + 75,000) x 0.5 = 187,500 / 1M
    usage = Usage(input_tokens=100_000, output_tokens=5_000)
    assert _cost(table, "anthropic", "claude-sonnet-4", usage, batch=True) == pytest.approx(187_500 / M)


def test_anthropic_long_context(table: PriceTable) -> None:
    # claude-sonnet-4-5 above 200,000 input tokens, every token at $6 / $0.60 read / $22.50 out:
    # 200,000 x 6 + 50,000 read x 0.6 + 4,000 x 22.5 = 1,200,000 + 30,000 + 90,000 = 1,320,000 / 1M
    usage = Usage(input_tokens=250_000, cache_read_input_tokens=50_000, output_tokens=4_000)
    assert _cost(table, "anthropic", "claude-sonnet-4-5", usage) == pytest.approx(1_320_000 / M)


def test_anthropic_long_context_threshold_counts_cache_tokens(table: PriceTable) -> None:
    # Exactly 200,000: standard. 200,000 x $3 + 4,000 x $15 = 600,000 + 60,000 = 660,000 / 1M
    usage = Usage(input_tokens=200_000, output_tokens=4_000)
    assert _cost(table, "anthropic", "claude-sonnet-4-5", usage) == pytest.approx(660_000 / M)
    # 150,000 uncached + 60,000 cache writes (1h) = 210,000 > 200,000: long rates for all of it.
    # 150,000 x $6 + 60,000 x $12 + 4,000 x $22.50 = 900,000 + 720,000 + 90,000 = 1,710,000 / 1M
    usage = Usage(input_tokens=210_000, cache_creation_input_tokens=60_000, output_tokens=4_000)
    assert _cost(table, "anthropic", "claude-sonnet-4-5", usage, cache_write_ttl="1h") == pytest.approx(1_710_000 / M)


def test_anthropic_long_context_in_batch(table: PriceTable) -> None:
    # claude-sonnet-4 batch, long: (300,000 x $6 + 1,000 x $22.50) x 0.5 = 1,822,500 x 0.5 = 911,250 / 1M
    usage = Usage(input_tokens=300_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-sonnet-4", usage, batch=True) == pytest.approx(911_250 / M)


def test_anthropic_prompt_length_band(table: PriceTable) -> None:
    # claude-haiku-5-5 up to 100,000 prompt tokens: 80,000 x $0.10 + 1,000 x $0.50 = 8,000 + 500 = 8,500 / 1M
    usage = Usage(input_tokens=80_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-haiku-5-5", usage) == pytest.approx(8_500 / M)
    # Over 100,000 (cache writes count): 100,000 x $0.50 + 20,000 x $0.625 + 1,000 x $2.50
    #   = 50,000 + 12,500 + 2,500 = 65,000 / 1M
    usage = Usage(input_tokens=120_000, cache_creation_input_tokens=20_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-haiku-5-5", usage) == pytest.approx(65_000 / M)


def test_anthropic_reduced_cache_read_multiplier(table: PriceTable) -> None:
    # claude-opus-5-5 reads cache at 0.05x: 10,000 x $4 + 90,000 x $0.20 + 1,000 x $20
    #   = 40,000 + 18,000 + 20,000 = 78,000 / 1M
    usage = Usage(input_tokens=100_000, cache_read_input_tokens=90_000, output_tokens=1_000)
    assert _cost(table, "anthropic", "claude-opus-5-5", usage) == pytest.approx(78_000 / M)


def test_anthropic_prices_apply_on_bedrock_and_vertex(table: PriceTable) -> None:
    # The 5m cache-write case above, reached through platform ids: 292,500 / 1M on every platform.
    usage = Usage(input_tokens=12_000, cache_creation_input_tokens=10_000, output_tokens=1_000)
    for provider, model in [
        ("aws.bedrock", "us.anthropic.claude-opus-4-1-20250805-v1:0"),
        ("gcp.vertex_ai", "claude-opus-4-1@20250805"),
    ]:
        assert _cost(table, provider, model, usage) == pytest.approx(292_500 / M)


# --- edges --------------------------------------------------------------------------------------------


def test_missing_counts_are_zero(table: PriceTable) -> None:
    price = table.lookup("openai", "gpt-4o")
    assert price is not None
    assert cost_usd(price, Usage()) == 0.0
    # Output only: 100 x $10 = 1,000 / 1M
    assert cost_usd(price, Usage(output_tokens=100)) == pytest.approx(1_000 / M)


def test_inconsistent_cache_counts_never_go_negative(table: PriceTable) -> None:
    # Cache reads larger than input (a provider bug): uncached is 0, not negative.
    # 0 x $2.50 + 2,000 x $1.25 = 2,500 / 1M
    price = table.lookup("openai", "gpt-4o")
    assert price is not None
    assert cost_usd(price, Usage(input_tokens=1_000, cache_read_input_tokens=2_000)) == pytest.approx(2_500 / M)


def test_normalize_service_tier() -> None:
    assert normalize_service_tier(None) is None
    assert normalize_service_tier("default") is None
    assert normalize_service_tier(" AUTO ") is None
    assert normalize_service_tier("fast") == "priority"
    assert normalize_service_tier("Flex") == "flex"
    assert normalize_service_tier("batch") == "batch"
    assert normalize_service_tier("scale") == "scale"


def test_breakdown_reports_what_it_used(table: PriceTable) -> None:
    price = table.lookup("openai", "gpt-5.4")
    assert price is not None
    usage = Usage(
        input_tokens=300_000, cache_read_input_tokens=100_000, output_tokens=10_000, reasoning_output_tokens=4_000
    )
    cost = cost_breakdown(price, usage, service_tier="flex", batch=False)
    assert (cost.tier, cost.long_context, cost.batch, cost.multiplier) == ("flex", True, False, 1.0)
    # Priority publishes no long-context rates for gpt-5.4, so none were applied.
    fast = cost_breakdown(price, usage, service_tier="fast")
    assert (fast.tier, fast.long_context, fast.input_rate) == ("priority", False, 5.0)
    assert (cost.uncached_input_tokens, cost.cache_read_tokens, cost.output_tokens) == (200_000, 100_000, 10_000)
    assert cost.reasoning_tokens == 4_000
    batch = cost_breakdown(price, usage, service_tier="flex", batch=True)
    assert (batch.tier, batch.batch, batch.multiplier) == (None, True, 0.5)


_counts = st.integers(min_value=0, max_value=2_000_000)


@given(
    inp=_counts,
    read=_counts,
    write=_counts,
    out=_counts,
    tier=st.sampled_from([None, "default", "flex", "priority", "fast", "batch", "other"]),
    batch=st.booleans(),
    ttl=st.sampled_from(["5m", "1h"]),
    index=st.integers(min_value=0, max_value=10_000),
)
def test_fast_path_matches_breakdown_for_every_model(
    table: PriceTable, inp: int, read: int, write: int, out: int, tier: str | None, batch: bool, ttl: str, index: int
) -> None:
    models = list(table.models())
    price = models[index % len(models)]
    usage = Usage(input_tokens=inp, cache_read_input_tokens=read, cache_creation_input_tokens=write, output_tokens=out)
    fast = cost_usd(price, usage, service_tier=tier, batch=batch, cache_write_ttl=ttl)
    slow = cost_breakdown(price, usage, service_tier=tier, batch=batch, cache_write_ttl=ttl).total
    assert fast >= 0
    assert fast == pytest.approx(slow, rel=1e-12, abs=1e-15)
