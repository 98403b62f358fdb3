"""Fixtures for the price-table tests."""

from __future__ import annotations

import pytest

from genai_otel.genai.pricing import PriceTable, load_price_table


@pytest.fixture(scope="session")
def table() -> PriceTable:
    """The bundled table, no override."""
    return load_price_table(None)
