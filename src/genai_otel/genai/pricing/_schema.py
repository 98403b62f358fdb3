"""The price-file schema: validation, merging an override over the bundled table, building records.

A price file (the bundled ``data/prices.json`` or an override, JSON or TOML) looks like::

    {"version": 1,
     "providers": {"openai": {"models": {"gpt-4o": {"input": 2.5, "cached_input": 1.25, "output": 10.0,
                                                   "batch_discount": 0.5,
                                                   "tiers": {"priority": {"input": 4.25, "output": 17.0}},
                                                   "source": "https://...", "checked": "2026-11-22"}}}}}

Prices are USD per million tokens. Validation collects every problem with its location instead of
stopping at the first, so one log line (or ``genai-otel prices --check``) can name them all.
"""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Mapping
from typing import Any

from genai_otel.genai.pricing._model import LongContext, ModelPrice, Rates, Tier
from genai_otel.genai.pricing._table import PriceTable

__all__ = ["SCHEMA_VERSION", "build_table", "merge", "validate"]

SCHEMA_VERSION = 1

_RATE_FIELDS = ("input", "output", "cached_input", "cache_write", "cache_write_5m", "cache_write_1h")
_TEXT_FIELDS = ("source", "notes")
_CHECKED_BASES = ("source_date", "read_date", "secondary")
_MODEL_FIELDS = frozenset(
    (*_RATE_FIELDS, *_TEXT_FIELDS, "batch_discount", "long_context", "tiers", "aliases", "checked", "checked_basis")
)
_TIER_FIELDS = frozenset((*_RATE_FIELDS, "long_context"))
_LONG_FIELDS = frozenset((*_RATE_FIELDS, "threshold_input_tokens"))
_RESERVED_TIERS = frozenset({"default", "auto", "standard", "batch"})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_price(value: object, where: str, errors: list[str]) -> None:
    if not _is_number(value):
        errors.append(f"{where}: must be a number, got {value!r}")
    elif value < 0:  # type: ignore[operator]
        errors.append(f"{where}: must not be negative, got {value!r}")


def _check_unknown(entry: Mapping[str, Any], allowed: frozenset[str], where: str, errors: list[str]) -> None:
    for key in entry:
        if key not in allowed:
            errors.append(f"{where}: unknown field {key!r}")


def _check_rates(entry: Mapping[str, Any], where: str, errors: list[str], *, complete: bool) -> None:
    for name in _RATE_FIELDS:
        if name in entry:
            _check_price(entry[name], f"{where}.{name}", errors)
        elif complete and name in ("input", "output"):
            errors.append(f"{where}: missing {name!r}")


def _check_long(entry: object, where: str, errors: list[str], *, in_tier: bool, complete: bool) -> None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: must be a table of rates, got {type(entry).__name__}")
        return
    allowed = _TIER_FIELDS - {"long_context"} if in_tier else _LONG_FIELDS
    _check_unknown(entry, frozenset(allowed), where, errors)
    _check_rates(entry, where, errors, complete=complete)
    if not in_tier:
        threshold = entry.get("threshold_input_tokens")
        if threshold is None:
            if complete:
                errors.append(f"{where}: missing 'threshold_input_tokens'")
        elif not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= 0:
            errors.append(f"{where}.threshold_input_tokens: must be a positive integer, got {threshold!r}")


def _check_model(entry: object, where: str, errors: list[str], *, complete: bool) -> None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: must be a table of fields, got {type(entry).__name__}")
        return
    _check_unknown(entry, _MODEL_FIELDS, where, errors)
    _check_rates(entry, where, errors, complete=complete)
    if "batch_discount" in entry:
        value = entry["batch_discount"]
        if not _is_number(value) or not 0 <= value <= 1:
            errors.append(f"{where}.batch_discount: must be a number from 0 to 1, got {value!r}")
    if "long_context" in entry:
        _check_long(entry["long_context"], f"{where}.long_context", errors, in_tier=False, complete=complete)
    tiers = entry.get("tiers", {})
    if not isinstance(tiers, Mapping):
        errors.append(f"{where}.tiers: must be a table of tiers, got {type(tiers).__name__}")
        tiers = {}
    for name, tier in tiers.items():
        at = f"{where}.tiers.{name}"
        if name in _RESERVED_TIERS:
            errors.append(f"{at}: {name!r} means standard or batch prices and cannot be a tier")
        elif not isinstance(tier, Mapping):
            errors.append(f"{at}: must be a table of rates, got {type(tier).__name__}")
        else:
            _check_unknown(tier, _TIER_FIELDS, at, errors)
            _check_rates(tier, at, errors, complete=complete)
            if "long_context" in tier:
                _check_long(tier["long_context"], f"{at}.long_context", errors, in_tier=True, complete=complete)
                if complete and "long_context" not in entry:
                    errors.append(f"{at}.long_context: the model has no long_context threshold")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        errors.append(f"{where}.aliases: must be a list of model ids, got {aliases!r}")
    for name in _TEXT_FIELDS:
        if name in entry and not isinstance(entry[name], str):
            errors.append(f"{where}.{name}: must be a string, got {entry[name]!r}")
    if "checked" in entry:
        checked = entry["checked"]
        if isinstance(checked, str):
            try:
                datetime.date.fromisoformat(checked)
            except ValueError:
                errors.append(f"{where}.checked: must be a date like 2026-11-22, got {checked!r}")
        elif not isinstance(checked, datetime.date):
            errors.append(f"{where}.checked: must be a date like 2026-11-22, got {checked!r}")
    if "checked_basis" in entry and entry["checked_basis"] not in _CHECKED_BASES:
        errors.append(
            f"{where}.checked_basis: must be one of {', '.join(_CHECKED_BASES)}, got {entry['checked_basis']!r}"
        )


def validate(doc: object, *, complete: bool = True) -> list[str]:
    """Every problem in a price document; empty when it is valid.

    ``complete=False`` checks an override on its own: its models may give only the fields they change.
    """
    errors: list[str] = []
    if not isinstance(doc, Mapping):
        return [f"the document must be a table, got {type(doc).__name__}"]
    _check_unknown(doc, frozenset({"version", "providers", "description"}), "top level", errors)
    version = doc.get("version")
    if version is None:
        errors.append(f"version: missing (this schema is version {SCHEMA_VERSION})")
    elif version != SCHEMA_VERSION or isinstance(version, bool):
        errors.append(f"version: unsupported version {version!r} (this schema is version {SCHEMA_VERSION})")
    if "description" in doc and not isinstance(doc["description"], str):
        errors.append("description: must be a string")
    providers = doc.get("providers")
    if providers is None:
        errors.append("providers: missing")
        return errors
    if not isinstance(providers, Mapping):
        return [*errors, f"providers: must be a table, got {type(providers).__name__}"]
    for provider, section in providers.items():
        where = f"providers.{provider}"
        if not isinstance(section, Mapping):
            errors.append(f"{where}: must be a table, got {type(section).__name__}")
            continue
        _check_unknown(section, frozenset({"models"}), where, errors)
        models = section.get("models")
        if not isinstance(models, Mapping):
            errors.append(f"{where}.models: must be a table of models, got {models!r}")
            continue
        for model, entry in models.items():
            _check_model(entry, f"{where}.models.{model}", errors, complete=complete)
    return errors


def _merge_fields(base: dict[str, Any], override: Mapping[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge_fields(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``, model by model and field by field (tiers and long_context too).

    Lists (``aliases``) are replaced, not extended. Neither argument is modified.
    """
    merged = copy.deepcopy(dict(base))
    providers = merged.setdefault("providers", {})
    for provider, section in override.get("providers", {}).items():
        models = providers.setdefault(provider, {}).setdefault("models", {})
        for model, entry in section.get("models", {}).items():
            _merge_fields(models.setdefault(model, {}), entry)
    return merged


def _rates(entry: Mapping[str, Any]) -> Rates:
    return Rates(**{name: float(entry[name]) for name in _RATE_FIELDS if name in entry})


def build_table(doc: Mapping[str, Any], *, override_path: str | None = None) -> PriceTable:
    """Records from a document that :func:`validate` accepted."""
    sections: dict[str, dict[str, ModelPrice]] = {}
    for provider, section in doc["providers"].items():
        entries: dict[str, ModelPrice] = {}
        for model, entry in section["models"].items():
            long = entry.get("long_context")
            checked = entry.get("checked")
            entries[model] = ModelPrice(
                provider=provider,
                model=model,
                rates=_rates(entry),
                batch_discount=float(entry.get("batch_discount", 0.0)),
                long_context=LongContext(long["threshold_input_tokens"], _rates(long)) if long else None,
                tiers={
                    name: Tier(_rates(tier), _rates(tier["long_context"]) if "long_context" in tier else None)
                    for name, tier in entry.get("tiers", {}).items()
                },
                aliases=tuple(entry.get("aliases", ())),
                source=entry.get("source"),
                checked=checked.isoformat() if isinstance(checked, datetime.date) else checked,
                checked_basis=entry.get("checked_basis"),
                notes=entry.get("notes"),
            )
        sections[provider] = entries
    return PriceTable(sections, version=int(doc["version"]), override_path=override_path)
