"""The price records: rates per token class, tiers, long-context bands, and one model's entry.

Everything here is immutable. Each :class:`ModelPrice` flattens its rates into plain tuples once, when
it is built, so that :func:`~genai_otel.genai.pricing.cost_usd` reads a handful of locals per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["LongContext", "ModelPrice", "Rates", "Tier"]

# (uncached input, cache read, cache write 5m, cache write 1h, output), USD per million tokens.
_Flat = tuple[float, float, float, float, float]
# (short-context rates, long-context rates or None)
_Plan = tuple[_Flat, _Flat | None]

_NO_THRESHOLD = 1 << 62


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per million tokens for each token class.

    ``cached_input`` is the cache-read price; when absent, cache reads cost ``input``. Cache writes use
    ``cache_write_5m`` / ``cache_write_1h`` (Anthropic's two TTLs), else ``cache_write`` (a provider with a
    single cache-write price), else ``input``.
    """

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    cache_write_5m: float | None = None
    cache_write_1h: float | None = None

    def flat(self) -> _Flat:
        """The five prices :func:`cost_usd` multiplies by, with the fallbacks above applied."""
        write = self.input if self.cache_write is None else self.cache_write
        return (
            self.input,
            self.input if self.cached_input is None else self.cached_input,
            write if self.cache_write_5m is None else self.cache_write_5m,
            write if self.cache_write_1h is None else self.cache_write_1h,
            self.output,
        )


@dataclass(frozen=True, slots=True)
class LongContext:
    """Rates that replace the model's rates, for every token of a request, above a prompt size."""

    threshold_input_tokens: int
    """Applies when ``input_tokens`` (cache reads and writes included) is strictly greater than this."""
    rates: Rates


@dataclass(frozen=True, slots=True)
class Tier:
    """A processing tier with its own prices (OpenAI ``flex``, ``priority``)."""

    rates: Rates
    long_context: Rates | None = None
    """Long-context rates in this tier; the model's threshold applies. When absent, long prompts in this
    tier are priced at the tier's short-context rates (the provider did not publish others)."""


@dataclass(frozen=True, slots=True, eq=False)
class ModelPrice:
    """One model's prices, as listed in the price table. Compared and hashed by identity."""

    provider: str
    model: str
    rates: Rates
    batch_discount: float = 0.0
    """Fraction taken off every token class for batch requests (0.5 = half price)."""
    long_context: LongContext | None = None
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    source: str | None = None
    checked: str | None = None
    checked_basis: str | None = None
    notes: str | None = None
    _plans: Mapping[str | None, _Plan] = field(init=False, repr=False, compare=False)
    _threshold: int = field(init=False, repr=False, compare=False)
    _batch_factor: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", MappingProxyType(dict(self.tiers)))
        long = self.long_context
        plans: dict[str | None, _Plan] = {None: (self.rates.flat(), long.rates.flat() if long else None)}
        for name, tier in self.tiers.items():
            tier_long = tier.long_context.flat() if (long and tier.long_context) else None
            plans[name] = (tier.rates.flat(), tier_long)
        object.__setattr__(self, "_plans", plans)
        object.__setattr__(self, "_threshold", long.threshold_input_tokens if long else _NO_THRESHOLD)
        object.__setattr__(self, "_batch_factor", 1.0 - self.batch_discount)
