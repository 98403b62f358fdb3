"""Loading the bundled price table and merging a user's override file over it."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from importlib import resources
from typing import Any

from genai_otel.genai._safety import internal_error
from genai_otel.genai.pricing._schema import build_table, merge, validate
from genai_otel.genai.pricing._table import PriceTable

__all__ = ["PRICES_FILE_ENV", "bundled_document", "check_price_file", "default_price_table", "load_price_table"]

PRICES_FILE_ENV = "GENAI_OTEL_PRICES_FILE"
"""Environment variable naming a JSON or TOML file whose prices are merged over the bundled table."""

_logger = logging.getLogger("genai_otel.genai.pricing")


class _FileProblem(Exception):
    """A price file could not be read or parsed."""


@functools.lru_cache(maxsize=1)
def _bundled_text() -> str:
    return resources.files("genai_otel.genai").joinpath("data/prices.json").read_text(encoding="utf-8")


def bundled_document() -> dict[str, Any]:
    """A fresh copy of the bundled price document (``genai_otel/genai/data/prices.json``)."""
    doc: dict[str, Any] = json.loads(_bundled_text())
    return doc


def _read_toml(text: str) -> Any:
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:
        raise _FileProblem(
            "reading TOML needs Python 3.11+ or the 'tomli' package; install tomli or use a JSON file"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _FileProblem(f"invalid TOML: {exc}") from None


def _read_file(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _FileProblem(f"cannot read the file: {exc}") from None
    if path.lower().endswith(".toml"):
        return _read_toml(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _FileProblem(f"invalid JSON: {exc}") from None


def _merged(path: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The bundled document with ``path`` merged over it, or the problems that prevent it."""
    try:
        override = _read_file(path)
    except _FileProblem as exc:
        return None, [str(exc)]
    problems = validate(override, complete=False)
    if problems:
        return None, problems
    # Models the override adds, or fields it combines with the bundled ones, must make complete entries.
    merged = merge(bundled_document(), override)
    problems = validate(merged)
    return (None, problems) if problems else (merged, [])


def check_price_file(path: str) -> list[str]:
    """Every problem that would stop ``path`` from being used as an override; empty when it is usable."""
    return _merged(path)[1]


def load_price_table(override_path: str | None = None) -> PriceTable:
    """The bundled price table, with ``override_path`` (JSON, or TOML by its ``.toml`` suffix) merged over it.

    A problem with the override file is logged as one error naming the file and every problem found,
    and the bundled table is returned: this never raises because of an override. (A broken bundled table
    is a packaging bug and does raise.)
    """
    if not override_path:
        return build_table(bundled_document())
    try:
        merged, problems = _merged(override_path)
        if merged is not None:
            return build_table(merged, override_path=override_path)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not stop the bundled prices loading
        internal_error("pricing.load_override", exc)
        problems = [f"internal error: {exc!r}"]
    _logger.error(
        "genai-otel: ignoring the price override file %s (%s); using the bundled prices",
        override_path,
        "; ".join(problems),
    )
    return build_table(bundled_document())


@functools.lru_cache(maxsize=1)
def default_price_table() -> PriceTable:
    """The process-wide table: the bundled prices plus the file named by ``GENAI_OTEL_PRICES_FILE``.

    Read once, on first use; ``default_price_table.cache_clear()`` forces a reload.
    """
    return load_price_table(os.environ.get(PRICES_FILE_ENV) or None)
