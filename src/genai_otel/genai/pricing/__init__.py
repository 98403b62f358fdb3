"""Prices for GenAI calls, and what a call cost.

The price table is data: ``genai_otel/genai/data/prices.json``, USD per million tokens for each provider
and model, with its source page and the date it was checked. Per model:

``input``, ``output``
    uncached input and output (reasoning tokens are output);
``cached_input``
    cache reads (default: ``input``);
``cache_write_5m``, ``cache_write_1h``, ``cache_write``
    cache writes: Anthropic prices its two TTLs apart, other providers have one price (default: ``input``);
``batch_discount``
    the fraction taken off for batch requests (0.5 = half price; default: none);
``tiers``
    ``flex`` / ``priority`` prices (OpenAI's ``fast`` is ``priority``), each with the rate fields and an
    optional ``long_context`` of rates;
``long_context``
    ``threshold_input_tokens`` and the rates that replace the model's for the *whole* request when the
    prompt (cache reads and writes included) is larger;
``aliases``, ``source``, ``checked``, ``checked_basis``, ``notes``
    other ids for the model, and where the prices come from: ``checked_basis`` says whether ``checked``
    is the date the source shows (``source_date``), the day an undated source was read (``read_date``),
    or the date of a third-party reading of the source (``secondary``).

Overrides: set ``GENAI_OTEL_PRICES_FILE`` to a JSON or TOML file (``.toml``) of the same shape. It is
merged over the bundled table model by model and field by field, so ``{"version": 1, "providers":
{"openai": {"models": {"gpt-4o": {"input": 2.0}}}}}`` changes one price and keeps the rest. A file that
cannot be used (bad syntax, wrong types, negative prices, unknown fields) is reported in one logged
error and the bundled table is used. ``genai-otel prices --check FILE`` validates a file.

Use::

    table = default_price_table()
    price = table.lookup("openai", "gpt-4o-2024-08-06")
    if price is not None:
        usd = cost_usd(price, usage, service_tier="flex")

``lookup`` matches exact ids, aliases, Bedrock and Vertex ids and dated snapshots, and caches each
resolution; ``cost_usd`` is a few multiplications. Regional, data-residency and US-only surcharges,
Anthropic's fast mode, and per-request discounts agreed with a provider are not modelled.
"""

from __future__ import annotations

from genai_otel.genai.pricing._cost import CostBreakdown, cost_breakdown, cost_usd, normalize_service_tier
from genai_otel.genai.pricing._load import (
    PRICES_FILE_ENV,
    check_price_file,
    default_price_table,
    load_price_table,
)
from genai_otel.genai.pricing._model import LongContext, ModelPrice, Rates, Tier
from genai_otel.genai.pricing._schema import SCHEMA_VERSION
from genai_otel.genai.pricing._table import PriceTable

__all__ = [
    "PRICES_FILE_ENV",
    "SCHEMA_VERSION",
    "CostBreakdown",
    "LongContext",
    "ModelPrice",
    "PriceTable",
    "Rates",
    "Tier",
    "check_price_file",
    "cost_breakdown",
    "cost_usd",
    "default_price_table",
    "load_price_table",
    "normalize_service_tier",
]
