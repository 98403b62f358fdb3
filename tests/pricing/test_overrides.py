"""Override files: JSON and TOML merged over the bundled table; unusable files logged once and ignored."""

from __future__ import annotations

import builtins
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from genai_otel.genai.pricing import (
    PRICES_FILE_ENV,
    PriceTable,
    check_price_file,
    default_price_table,
    load_price_table,
)

LOGGER = "genai_otel.genai.pricing"


def _write_json(tmp_path: Path, doc: Any, name: str = "prices.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _doc(models_by_provider: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"version": 1, "providers": {p: {"models": m} for p, m in models_by_provider.items()}}


def _assert_bundled(table: PriceTable) -> None:
    price = table.lookup("openai", "gpt-4o")
    assert price is not None and price.rates.input == 2.5 and price.rates.output == 10.0
    assert table.override_path is None


# --- merging ------------------------------------------------------------------------------------------


def test_json_override_changes_only_the_fields_it_names(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write_json(tmp_path, _doc({"openai": {"gpt-4o": {"input": 2.0, "notes": "negotiated"}}}))
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        table = load_price_table(path)
    assert caplog.records == []
    price = table.lookup("openai", "gpt-4o-2024-08-06")
    assert price is not None
    assert (price.rates.input, price.rates.cached_input, price.rates.output) == (2.0, 1.25, 10.0)
    assert price.tiers["priority"].rates.input == 4.25
    assert (price.batch_discount, price.notes) == (0.5, "negotiated")
    assert table.override_path == path
    # other models untouched
    mini = table.lookup("openai", "gpt-4o-mini")
    assert mini is not None and mini.rates.input == 0.15


def test_override_merges_inside_tiers_and_long_context(tmp_path: Path) -> None:
    path = _write_json(
        tmp_path,
        _doc(
            {
                "openai": {
                    "gpt-5.4": {
                        "tiers": {"priority": {"output": 31.0}, "flex": {"long_context": {"output": 12.0}}},
                        "long_context": {"threshold_input_tokens": 300_000},
                    }
                }
            }
        ),
    )
    price = load_price_table(path).lookup("openai", "gpt-5.4")
    assert price is not None
    assert (price.tiers["priority"].rates.input, price.tiers["priority"].rates.output) == (5.0, 31.0)
    flex_long = price.tiers["flex"].long_context
    assert flex_long is not None and (flex_long.input, flex_long.output) == (2.5, 12.0)
    assert price.long_context is not None
    assert (price.long_context.threshold_input_tokens, price.long_context.rates.input) == (300_000, 5.0)


def test_override_adds_models_providers_and_aliases(tmp_path: Path) -> None:
    path = _write_json(
        tmp_path,
        _doc(
            {
                "openai": {
                    "gpt-6.2-sol": {
                        "input": 2.0,
                        "cached_input": 0.1,
                        "cache_write": 2.5,
                        "output": 10.0,
                        "batch_discount": 0.5,
                        "checked": "2026-11-20",
                    }
                },
                "anthropic": {"claude-sonnet-4-5": {"aliases": ["my-sonnet"]}},
                "example.gateway": {"house-model": {"input": 0.5, "output": 1.5}},
            }
        ),
    )
    table = load_price_table(path)
    added = table.lookup("openai", "gpt-6.2-sol")
    assert added is not None and (added.rates.input, added.rates.cache_write) == (2.0, 2.5)
    alias = table.lookup("anthropic", "my-sonnet")
    assert alias is not None and alias.model == "claude-sonnet-4-5"
    house = table.lookup("example.gateway", "house-model")
    assert house is not None and house.rates.output == 1.5
    assert "example.gateway" in table.providers


def test_toml_override(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        """
version = 1

[providers.anthropic.models."claude-haiku-4-5"]
input = 0.9
checked = 2026-11-21

[providers.anthropic.models."claude-haiku-4-5".long_context]
threshold_input_tokens = 150000
input = 2
output = 10

[providers.openai.models."my-gpt"]
input = 1
output = 4
aliases = ["my-gpt-latest"]
""",
        encoding="utf-8",
    )
    assert check_price_file(str(path)) == []
    table = load_price_table(str(path))
    haiku = table.lookup("anthropic", "claude-haiku-4-5-20251001")
    assert haiku is not None
    assert (haiku.rates.input, haiku.rates.output, haiku.checked) == (0.9, 5.0, "2026-11-21")
    assert haiku.long_context is not None and haiku.long_context.threshold_input_tokens == 150_000
    mine = table.lookup("openai", "my-gpt-latest")
    assert mine is not None and mine.model == "my-gpt"


def test_toml_without_a_parser_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.toml"
    path.write_text("version = 1\n", encoding="utf-8")
    real_import = builtins.__import__

    def no_toml(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in ("tomllib", "tomli"):
            raise ModuleNotFoundError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_toml)
    problems = check_price_file(str(path))
    assert len(problems) == 1 and "tomli" in problems[0] and "3.11" in problems[0]


def test_environment_variable_names_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_json(tmp_path, _doc({"openai": {"gpt-4o": {"output": 9.0}}}))
    monkeypatch.setenv(PRICES_FILE_ENV, path)
    default_price_table.cache_clear()
    try:
        price = default_price_table().lookup("openai", "gpt-4o")
        assert price is not None and price.rates.output == 9.0
        assert default_price_table() is default_price_table()
    finally:
        default_price_table.cache_clear()


def test_no_environment_variable_means_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICES_FILE_ENV, raising=False)
    default_price_table.cache_clear()
    try:
        _assert_bundled(default_price_table())
    finally:
        default_price_table.cache_clear()


# --- unusable files -----------------------------------------------------------------------------------

_GOOD_MODEL = {"input": 1.0, "output": 2.0}
MALFORMED: dict[str, tuple[str, str, str]] = {
    # case: (file name, content, a phrase the error must contain)
    "bad json": ("p.json", '{"version": 1, "providers": {', "invalid JSON"),
    "bad toml": ("p.toml", "version = 1\n[providers.openai\n", "invalid TOML"),
    "wrong type": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"input": "cheap"}}})),
        "providers.openai.models.gpt-4o.input: must be a number",
    ),
    "boolean price": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"output": True}}})),
        "gpt-4o.output: must be a number",
    ),
    "not finite": (
        "p.json",
        '{"version": 1, "providers": {"openai": {"models": {"gpt-4o": {"input": NaN}}}}}',
        "gpt-4o.input: must be a number",
    ),
    "negative price": (
        "p.json",
        json.dumps(_doc({"anthropic": {"claude-haiku-4-5": {"cached_input": -0.1}}})),
        "claude-haiku-4-5.cached_input: must not be negative",
    ),
    "negative tier price": (
        "p.json",
        json.dumps(_doc({"openai": {"o3": {"tiers": {"flex": {"input": -1}}}}})),
        "o3.tiers.flex.input: must not be negative",
    ),
    "unknown model field": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"inptu": 2.0}}})),
        "gpt-4o: unknown field 'inptu'",
    ),
    "unknown top-level field": (
        "p.json",
        json.dumps({"version": 1, "providers": {}, "prices": {}}),
        "top level: unknown field 'prices'",
    ),
    "unknown provider field": (
        "p.json",
        json.dumps({"version": 1, "providers": {"openai": {"modles": {}}}}),
        "providers.openai: unknown field 'modles'",
    ),
    "missing version": ("p.json", json.dumps({"providers": {}}), "version: missing"),
    "wrong version": ("p.json", json.dumps({"version": 2, "providers": {}}), "unsupported version 2"),
    "providers not a table": ("p.json", json.dumps({"version": 1, "providers": []}), "providers: must be a table"),
    "document not a table": ("p.json", "[1, 2]", "the document must be a table"),
    "new model incomplete": (
        "p.json",
        json.dumps(_doc({"openai": {"brand-new": {"input": 1.0}}})),
        "brand-new: missing 'output'",
    ),
    "batch discount over 1": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"batch_discount": 1.5}}})),
        "batch_discount: must be a number from 0 to 1",
    ),
    "bad threshold": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-5.4": {"long_context": {"threshold_input_tokens": 1.5}}}})),
        "threshold_input_tokens: must be a positive integer",
    ),
    "reserved tier": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"tiers": {"batch": _GOOD_MODEL}}}})),
        "cannot be a tier",
    ),
    "bad date": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"checked": "last week"}}})),
        "checked: must be a date",
    ),
    "bad aliases": (
        "p.json",
        json.dumps(_doc({"openai": {"gpt-4o": {"aliases": "gpt-4-omni"}}})),
        "aliases: must be a list",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_unusable_file_logs_one_error_and_keeps_the_bundled_table(
    case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name, content, phrase = MALFORMED[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        table = load_price_table(str(path))
    _assert_bundled(table)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in caplog.records]
    message = errors[0].getMessage()
    assert str(path) in message
    assert phrase in message
    assert "bundled prices" in message
    # --check reports the same problem
    assert any(phrase in problem for problem in check_price_file(str(path)))


def test_missing_file_logs_one_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = str(tmp_path / "nowhere.json")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        table = load_price_table(path)
    _assert_bundled(table)
    assert len(caplog.records) == 1
    assert path in caplog.records[0].getMessage() and "cannot read the file" in caplog.records[0].getMessage()


def test_every_problem_is_named_in_the_one_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write_json(tmp_path, _doc({"openai": {"gpt-4o": {"input": -1, "outptu": 3, "output": "x"}}}))
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        load_price_table(path)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    for phrase in ("input: must not be negative", "unknown field 'outptu'", "output: must be a number"):
        assert phrase in message


def test_bad_override_from_the_environment_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("this is not toml", encoding="utf-8")
    monkeypatch.setenv(PRICES_FILE_ENV, str(path))
    default_price_table.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            _assert_bundled(default_price_table())
        assert len(caplog.records) == 1
    finally:
        default_price_table.cache_clear()
