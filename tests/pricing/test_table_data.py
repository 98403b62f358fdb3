"""The bundled price table: valid, sourced, internally consistent, and covering the models we promise."""

from __future__ import annotations

import datetime

import pytest

from genai_otel.genai.pricing import PriceTable
from genai_otel.genai.pricing._load import bundled_document
from genai_otel.genai.pricing._schema import validate

TODAY = datetime.date(2026, 11, 22)

REQUIRED = {
    "openai": [
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5.1",
        "gpt-5.2",
        "gpt-5.4",
        "gpt-5.5",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "o1",
        "o3",
        "o3-mini",
        "o4-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "text-embedding-ada-002",
    ],
    "anthropic": [
        "claude-opus-4",
        "claude-opus-4-1",
        "claude-opus-4-5",
        "claude-opus-4-6",
        "claude-sonnet-4",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-3-7-sonnet",
        "claude-3-5-haiku",
        "claude-3-haiku",
    ],
}

# Anthropic prices cache reads at 0.1x base input, except where the pricing page footnotes otherwise.
CACHE_READ_EXCEPTIONS = {"claude-fable-5-1": 0.025, "claude-opus-5-5": 0.05, "claude-sonnet-5-5": 0.05}


def test_bundled_document_is_valid() -> None:
    assert validate(bundled_document()) == []


@pytest.mark.parametrize(("provider", "model"), [(p, m) for p, ms in REQUIRED.items() for m in ms])
def test_required_models_are_present(table: PriceTable, provider: str, model: str) -> None:
    price = table.lookup(provider, model)
    assert price is not None and price.model == model


def test_every_entry_says_where_it_comes_from(table: PriceTable) -> None:
    for price in table.models():
        assert price.source and price.source.startswith("https://"), price.model
        assert price.checked and datetime.date.fromisoformat(price.checked) <= TODAY, price.model
        assert price.checked_basis in ("source_date", "read_date", "secondary"), price.model


def test_anthropic_cache_prices_follow_the_published_multipliers(table: PriceTable) -> None:
    # 5m writes 1.25x, 1h writes 2x, reads 0.1x (with footnoted exceptions); in long-context bands too.
    for price in table.models("anthropic"):
        if price.model == "claude-3-haiku":
            continue  # the page lists $0.30 writes and $0.03 reads, rounded from 1.25 x and 0.1 x $0.25
        bands = [price.rates] + ([price.long_context.rates] if price.long_context else [])
        for rates in bands:
            assert rates.cache_write_5m == pytest.approx(rates.input * 1.25), price.model
            assert rates.cache_write_1h == pytest.approx(rates.input * 2), price.model
            factor = CACHE_READ_EXCEPTIONS.get(price.model, 0.1)
            assert rates.cached_input == pytest.approx(rates.input * factor), price.model
        assert price.batch_discount == 0.5


def test_openai_flex_is_half_of_standard(table: PriceTable) -> None:
    for price in table.models("openai"):
        flex = price.tiers.get("flex")
        if flex is None:
            continue
        assert flex.rates.input == pytest.approx(price.rates.input / 2), price.model
        assert flex.rates.output == pytest.approx(price.rates.output / 2), price.model
        if price.rates.cached_input is not None:  # the page rounds some of these (0.13 for 0.125)
            assert flex.rates.cached_input == pytest.approx(price.rates.cached_input / 2, rel=0.05), price.model


def test_openai_long_context_is_double_input_and_one_and_a_half_output(table: PriceTable) -> None:
    for price in table.models("openai"):
        if price.long_context is None:
            continue
        assert price.long_context.threshold_input_tokens == 272_000
        assert price.long_context.rates.input == pytest.approx(price.rates.input * 2), price.model
        assert price.long_context.rates.output == pytest.approx(price.rates.output * 1.5), price.model


def test_prices_are_positive_where_they_must_be(table: PriceTable) -> None:
    for price in table.models():
        assert price.rates.input > 0, price.model
        if not price.model.startswith("text-embedding"):
            assert price.rates.output > price.rates.input, price.model
