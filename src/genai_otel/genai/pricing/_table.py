"""The price table and model-id matching.

A model id as a response reports it is matched, in order, by:

1. the exact id (lower-cased) or one of the entry's ``aliases``;
2. the id with its platform wrapping removed: a path prefix (``publishers/anthropic/models/...``, an
   inference-profile ARN, ``openai/...``), a Vertex ``@version``, a ``[1m]`` suffix, a Bedrock
   ``anthropic.`` prefix with optional region (``us.``, ``eu.``, ``global.``, ...) and ``-v1:0`` suffix;
3. that id without a trailing snapshot date (``-2024-08-06`` or ``-20250929``).

Nothing else: no prefix matching, so ``gpt-4o-mini-tts`` is not ``gpt-4o-mini`` and ``gpt-4o-mini`` is
never ``gpt-4o``. Fine-tuned ids (``ft:...``) are not priced: their rates differ from the base model's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from genai_otel.genai.pricing._model import ModelPrice

__all__ = ["PriceTable", "candidate_ids"]

# gen_ai.provider.name -> the price-table sections that price its models, in order.
_PROVIDER_SECTIONS: dict[str, tuple[str, ...]] = {
    "openai": ("openai",),
    "azure.ai.openai": ("openai",),
    "anthropic": ("anthropic",),
    "aws.bedrock": ("anthropic",),
    "gcp.vertex_ai": ("anthropic",),
}

_BEDROCK = re.compile(r"^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?anthropic\.(?P<id>.+?)(?:-v\d+(?::[0-9a-z]+)*)?$")
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|20\d{6})$")
_BRACKET_SUFFIX = re.compile(r"\[[^\]]*\]$")

# Resolutions are cached per (provider, model) string; ids come from responses, so the set is small,
# but a misbehaving caller must not grow the cache without bound.
_CACHE_LIMIT = 4096


def candidate_ids(model: str) -> Iterator[tuple[str, str]]:
    """Ids to try for ``model``, most specific first, each with how it was derived."""
    name = model.strip().lower()
    yield name, "exact id"
    bare = name.rsplit("/", 1)[-1].split("@", 1)[0]
    bare = _BRACKET_SUFFIX.sub("", bare)
    bedrock = _BEDROCK.match(bare)
    if bedrock:
        bare = bedrock.group("id")
    how = "platform id"
    if bare != name:
        yield bare, how
    undated = _DATE_SUFFIX.sub("", bare)
    if undated != bare:
        yield undated, "dated snapshot" if bare == name else f"{how}, dated snapshot"


class PriceTable:
    """Prices by provider and model, with cached lookups.

    ``lookup`` costs one dict probe for a (provider, model) pair it has seen before.
    """

    __slots__ = ("_cache", "_index", "_models", "override_path", "version")

    def __init__(
        self,
        models: Mapping[str, Mapping[str, ModelPrice]],
        *,
        version: int = 1,
        override_path: str | None = None,
    ) -> None:
        self.version = version
        self.override_path = override_path
        """The override file merged into this table, if any."""
        self._models: Mapping[str, Mapping[str, ModelPrice]] = MappingProxyType(
            {section: MappingProxyType(dict(entries)) for section, entries in models.items()}
        )
        self._index: dict[str, dict[str, ModelPrice]] = {}
        for section, entries in self._models.items():
            index: dict[str, ModelPrice] = {}
            for price in entries.values():  # ids first, so an alias never shadows an id
                index[price.model.lower()] = price
            for price in entries.values():
                for alias in price.aliases:
                    index.setdefault(alias.lower(), price)
            self._index[section] = index
        self._cache: dict[tuple[str | None, str | None], ModelPrice | None] = {}

    @property
    def providers(self) -> tuple[str, ...]:
        """The price-table sections (``openai``, ``anthropic``, and any an override adds)."""
        return tuple(self._models)

    def models(self, provider: str | None = None) -> Iterator[ModelPrice]:
        """Every entry, or those of one section, in table order."""
        for section, entries in self._models.items():
            if provider is None or provider == section:
                yield from entries.values()

    def lookup(self, provider: str | None, model: str | None) -> ModelPrice | None:
        """The price for a model as reported by ``provider`` (a ``gen_ai.provider.name``), or ``None``.

        ``azure.ai.openai`` uses OpenAI prices; ``aws.bedrock`` and ``gcp.vertex_ai`` use Anthropic prices
        for Claude models. Other provider names are looked up as a section of their own (an override file
        may add one). ``provider=None`` searches every section.
        """
        key = (provider, model)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self.resolve(provider, model)
        price = found[0] if found else None
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[key] = price
        return price

    def resolve(self, provider: str | None, model: str | None) -> tuple[ModelPrice, str] | None:
        """Like :meth:`lookup`, uncached, also saying how the id matched (for the CLI and debugging)."""
        if not model or model.strip().lower().startswith("ft:"):
            return None
        if provider is None:
            sections: tuple[str, ...] = tuple(self._index)
        else:
            sections = _PROVIDER_SECTIONS.get(provider, (provider,))
        indexes = [self._index[s] for s in sections if s in self._index]
        for candidate, how in candidate_ids(model):
            for index in indexes:
                price = index.get(candidate)
                if price is not None:
                    if candidate != price.model.lower():
                        how = "alias" if how == "exact id" else f"{how}, alias"
                    return price, how
        return None
