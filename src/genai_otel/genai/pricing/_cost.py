"""Turning a :class:`~genai_otel.genai.types.Usage` into US dollars.

Token classes, as :class:`Usage` defines them: ``input_tokens`` includes cache reads and cache writes,
so the uncached part is ``input - cache_read - cache_creation``; ``output_tokens`` already includes
reasoning tokens, which are billed as output. ``reasoning_output_tokens`` is therefore never added.
"""

from __future__ import annotations

from dataclasses import dataclass

from genai_otel.genai.pricing._model import ModelPrice
from genai_otel.genai.types import Usage

__all__ = ["CostBreakdown", "cost_breakdown", "cost_usd", "normalize_service_tier"]

# Service-tier values as providers report them -> the tier name used in the price table.
# OpenAI renamed "priority" processing to "fast" in July 2026 and accepts both.
_TIER_NAMES: dict[str, str] = {"flex": "flex", "priority": "priority", "fast": "priority"}
# Values meaning "standard prices".
_STANDARD_TIERS = frozenset({"default", "auto", "standard", "standard_only", "on_demand"})


def normalize_service_tier(service_tier: str | None) -> str | None:
    """The price-table tier for a reported service tier; ``None`` for standard processing.

    Names not known here pass through unchanged, so an override file can price a tier of its own.
    """
    if service_tier is None:
        return None
    tier = service_tier.strip().lower()
    if not tier or tier in _STANDARD_TIERS:
        return None
    return _TIER_NAMES.get(tier, tier)


def cost_usd(
    price: ModelPrice,
    usage: Usage,
    *,
    service_tier: str | None = None,
    batch: bool = False,
    cache_write_ttl: str = "5m",
) -> float:
    """The cost of one call in USD.

    ``service_tier`` selects the model's tier prices (``flex``, ``priority``/``fast``); a tier the model
    does not list, or ``default``/``auto``, uses standard prices. ``service_tier="batch"`` is the same as
    ``batch=True``: standard prices less the model's batch discount. Long-context rates apply when
    ``usage.input_tokens`` exceeds the model's threshold. ``cache_write_ttl`` is ``"5m"`` or ``"1h"``.
    Missing token counts count as zero. Never raises for well-typed arguments.
    """
    plans = price._plans
    if service_tier is None:
        plan = plans[None]
    else:
        tier = _TIER_NAMES.get(service_tier)
        if tier is None:
            tier = normalize_service_tier(service_tier)
            if tier == "batch":
                batch, tier = True, None
        plan = plans.get(None if batch else tier) or plans[None]
    inp = usage.input_tokens or 0
    read = usage.cache_read_input_tokens or 0
    write = usage.cache_creation_input_tokens or 0
    rates = plan[1] if (plan[1] is not None and inp > price._threshold) else plan[0]
    uncached = max(inp - read - write, 0)
    total = (
        uncached * rates[0]
        + read * rates[1]
        + write * (rates[3] if cache_write_ttl == "1h" else rates[2])
        + (usage.output_tokens or 0) * rates[4]
    ) * 1e-6
    return total * price._batch_factor if batch else total


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """Each token class with the rate (USD per million tokens) and cost (USD) it was priced at."""

    uncached_input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    """Informational: already counted in ``output_tokens``."""
    input_rate: float
    cache_read_rate: float
    cache_write_rate: float
    output_rate: float
    tier: str | None
    """The tier whose prices were used (``None`` = standard)."""
    long_context: bool
    batch: bool
    multiplier: float
    """Applied to every class: ``1 - batch_discount`` for batch requests, else 1."""

    @property
    def input_cost(self) -> float:
        return self.uncached_input_tokens * self.input_rate * self.multiplier / 1e6

    @property
    def cache_read_cost(self) -> float:
        return self.cache_read_tokens * self.cache_read_rate * self.multiplier / 1e6

    @property
    def cache_write_cost(self) -> float:
        return self.cache_write_tokens * self.cache_write_rate * self.multiplier / 1e6

    @property
    def output_cost(self) -> float:
        return self.output_tokens * self.output_rate * self.multiplier / 1e6

    @property
    def total(self) -> float:
        return self.input_cost + self.cache_read_cost + self.cache_write_cost + self.output_cost


def cost_breakdown(
    price: ModelPrice,
    usage: Usage,
    *,
    service_tier: str | None = None,
    batch: bool = False,
    cache_write_ttl: str = "5m",
) -> CostBreakdown:
    """Like :func:`cost_usd`, but itemised; for reports and the CLI rather than the per-call path."""
    tier = normalize_service_tier(service_tier)
    if tier == "batch":
        batch, tier = True, None
    if batch or tier not in price._plans:
        tier = None
    short, long = price._plans[tier]
    inp = usage.input_tokens or 0
    read = usage.cache_read_input_tokens or 0
    write = usage.cache_creation_input_tokens or 0
    in_long = long is not None and inp > price._threshold
    rates = long if (long is not None and in_long) else short
    return CostBreakdown(
        uncached_input_tokens=max(inp - read - write, 0),
        cache_read_tokens=read,
        cache_write_tokens=write,
        output_tokens=usage.output_tokens or 0,
        reasoning_tokens=usage.reasoning_output_tokens or 0,
        input_rate=rates[0],
        cache_read_rate=rates[1],
        cache_write_rate=rates[3] if cache_write_ttl == "1h" else rates[2],
        output_rate=rates[4],
        tier=tier,
        long_context=in_long,
        batch=batch,
        multiplier=price._batch_factor if batch else 1.0,
    )
