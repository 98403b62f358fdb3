"""Model-id resolution: exact ids, aliases, dated snapshots, platform ids, near misses, providers."""

from __future__ import annotations

import timeit

import pytest

from genai_otel.genai.pricing import PriceTable, load_price_table
from genai_otel.genai.pricing import _table as table_module


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        # exact ids and aliases
        ("openai", "gpt-4o", "gpt-4o"),
        ("openai", "GPT-4o", "gpt-4o"),
        ("openai", "gpt-4o-mini", "gpt-4o-mini"),
        ("anthropic", "claude-sonnet-4-0", "claude-sonnet-4"),
        ("anthropic", "claude-3-5-haiku-latest", "claude-3-5-haiku"),
        # dated snapshots
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("openai", "gpt-4o-2024-11-20", "gpt-4o"),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("openai", "gpt-5-nano-2025-08-07", "gpt-5-nano"),
        ("openai", "o3-2025-04-16", "o3"),
        ("openai", "o3-mini-2025-01-31", "o3-mini"),
        ("openai", "o3-pro-2025-06-10", "o3-pro"),
        ("openai", "o4-mini-2025-04-16", "o4-mini"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic", "claude-opus-4-20250514", "claude-opus-4"),
        ("anthropic", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet"),
        ("anthropic", "claude-3-haiku-20240307", "claude-3-haiku"),
        # a snapshot with a price of its own wins over its family
        ("openai", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        # Azure OpenAI reports OpenAI model ids
        ("azure.ai.openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("azure.ai.openai", "gpt-4.1-nano", "gpt-4.1-nano"),
        # Bedrock
        ("aws.bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("aws.bedrock", "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("aws.bedrock", "global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("aws.bedrock", "us-gov.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
        ("aws.bedrock", "anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku"),
        ("aws.bedrock", "anthropic.claude-haiku-5-5", "claude-haiku-5-5"),
        (
            "aws.bedrock",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0",
            "claude-opus-4-1",
        ),
        # Vertex AI
        ("gcp.vertex_ai", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("gcp.vertex_ai", "claude-3-5-haiku@20241022", "claude-3-5-haiku"),
        ("gcp.vertex_ai", "claude-opus-4-6", "claude-opus-4-6"),
        ("gcp.vertex_ai", "publishers/anthropic/models/claude-opus-4@20250514", "claude-opus-4"),
        # Claude Code's context-window suffix
        ("anthropic", "claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
        # no provider: every section is searched
        (None, "claude-opus-4-5-20251101", "claude-opus-4-5"),
        (None, "gpt-5-mini", "gpt-5-mini"),
    ],
)
def test_resolves(table: PriceTable, provider: str | None, model: str, expected: str) -> None:
    price = table.lookup(provider, model)
    assert price is not None, f"{provider} {model}"
    assert price.model == expected


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        # near misses that a prefix match would get wrong
        ("openai", "gpt-4o-mini-tts"),
        ("openai", "gpt-4o-mini-transcribe"),
        ("openai", "gpt-4o-realtime-preview-2024-12-17"),
        ("openai", "gpt-4o-search-preview"),
        ("openai", "o4-mini-deep-research"),
        ("openai", "gpt-4.1-mini-fast"),
        ("anthropic", "claude-sonnet-4-5-extra"),
        # unknown models and ids
        ("openai", "gpt-99"),
        ("anthropic", "claude-unknown-1"),
        ("openai", ""),
        ("openai", None),
        # fine-tuned models are priced differently from their base
        ("openai", "ft:gpt-4o-mini-2024-07-18:acme::abc123"),
        # the provider decides which prices apply
        ("openai", "claude-sonnet-4-5"),
        ("anthropic", "gpt-4o"),
        ("aws.bedrock", "openai.gpt-oss-120b-1:0"),
        ("aws.bedrock", "amazon.nova-pro-v1:0"),
        ("gcp.vertex_ai", "gemini-2.5-pro"),
        ("x.ai", "gpt-4o"),
    ],
)
def test_does_not_resolve(table: PriceTable, provider: str, model: str | None) -> None:
    assert table.lookup(provider, model) is None


def test_gpt_4o_mini_is_never_priced_as_gpt_4o(table: PriceTable) -> None:
    mini = table.lookup("openai", "gpt-4o-mini-2024-07-18")
    big = table.lookup("openai", "gpt-4o-2024-08-06")
    assert mini is not None and big is not None
    assert (mini.model, mini.rates.input) == ("gpt-4o-mini", 0.15)
    assert (big.model, big.rates.input) == ("gpt-4o", 2.5)


def test_resolve_says_how(table: PriceTable) -> None:
    assert table.resolve("openai", "gpt-4o") == (table.lookup("openai", "gpt-4o"), "exact id")
    found = table.resolve("openai", "gpt-4o-2024-08-06")
    assert found is not None and found[1] == "dated snapshot"
    found = table.resolve("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert found is not None and found[1] == "platform id, dated snapshot"
    found = table.resolve("anthropic", "claude-sonnet-4-0")
    assert found is not None and found[1] == "alias"


def test_lookups_are_cached(table: PriceTable) -> None:
    fresh = load_price_table(None)
    first = fresh.lookup("aws.bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert ("aws.bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0") in fresh._cache
    assert fresh.lookup("aws.bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0") is first
    assert fresh.lookup("openai", "no-such-model") is None
    assert fresh._cache[("openai", "no-such-model")] is None


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "_CACHE_LIMIT", 3)
    fresh = load_price_table(None)
    for i in range(10):
        fresh.lookup("openai", f"made-up-{i}")
    assert len(fresh._cache) == 3
    assert fresh.lookup("openai", "gpt-4o-2024-08-06") is not None  # still resolves, uncached


def test_repeated_lookup_is_fast(table: PriceTable) -> None:
    model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    table.lookup("aws.bedrock", model)
    best = min(timeit.repeat(lambda: table.lookup("aws.bedrock", model), number=20_000, repeat=5)) / 20_000
    assert best < 2e-6, f"{best * 1e6:.2f} us per repeated lookup"


def test_aliases_never_shadow_ids() -> None:
    # An alias equal to another entry's id must not steal that id.
    from genai_otel.genai.pricing._model import ModelPrice, Rates

    a = ModelPrice("p", "model-a", Rates(1.0, 1.0), aliases=("model-b",))
    b = ModelPrice("p", "model-b", Rates(2.0, 2.0))
    table = PriceTable({"p": {"model-a": a, "model-b": b}})
    assert table.lookup("p", "model-b") is b
