"""``GENAI_OTEL_PRICES_FILE`` end to end: the override prices the calls; a malformed file: one error, bundled prices."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.cost.conftest import COST, HAS_ANTHROPIC, MESSAGES, UNKNOWN, instrumented_with, usd

OVERRIDE = {
    "version": 1,
    "providers": {
        "openai": {"models": {
            # a negotiated price for one field set; cached_input keeps the bundled 0.075
            "gpt-4o-mini": {"input": 1.0, "output": 2.0},
            # a self-hosted model the bundled table does not know
            "house-llama-priced": {"input": 0.5, "cached_input": 0.25, "output": 1.5},
        }},
        "anthropic": {"models": {"claude-haiku-4-5": {"cache_write_5m": 2.0}}},
    },
}
OVERRIDE_TOML = """
version = 1

[providers.openai.models.gpt-4o-mini]
input = 1.0
output = 2.0

[providers.openai.models.house-llama-priced]
input = 0.5
cached_input = 0.25
output = 1.5

[providers.anthropic.models.claude-haiku-4-5]
cache_write_5m = 2.0
"""


@pytest.fixture(params=["json", "toml"])
def override_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "json":
        path = tmp_path / "prices.json"
        path.write_text(json.dumps(OVERRIDE), encoding="utf-8")
    else:
        path = tmp_path / "prices.toml"
        path.write_text(OVERRIDE_TOML, encoding="utf-8")
    return path


def test_override_file_prices_the_calls(override_file: Path, client: openai.OpenAI, fake_llm: Any,
                                        telemetry: Any) -> None:
    with instrumented_with({"GENAI_OTEL_PRICES_FILE": str(override_file)}):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                       extra_headers={"x-fake-llm": "cached=100"})
        client.chat.completions.create(model="house-llama-priced", messages=MESSAGES,
                                       extra_headers={"x-fake-llm": "cached=100"})
        if HAS_ANTHROPIC:
            import anthropic

            from tests.conftest import FAKE_ANTHROPIC_KEY

            with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=fake_llm.anthropic_base_url,
                                     max_retries=0) as claude:
                claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MESSAGES,
                                       extra_headers={"x-fake-llm": "cache_write=1000"})
    spans = telemetry.genai_spans()
    mini, house = (dict(s.attributes) for s in spans[:2])
    # 8 uncached x 1.00 + 100 cached x 0.075 (bundled) + 5 x 2.00 = 8 + 7.5 + 10 = 25.5 µ$
    assert mini[COST] == usd(25.5e-6)
    # 8 x 0.50 + 100 x 0.25 + 5 x 1.50 = 4 + 25 + 7.5 = 36.5 µ$
    assert house[COST] == usd(36.5e-6)
    assert UNKNOWN not in house
    if HAS_ANTHROPIC:
        claude_span = dict(spans[2].attributes)
        # 8 x 1.00 + 1000 x 2.00 (overridden 5-minute write) + 5 x 5.00 = 8 + 2000 + 25 = 2033 µ$
        assert claude_span[COST] == usd(2033e-6)


@pytest.mark.parametrize(("content", "problem"), [
    ('{"version": 1, "providers": {"openai": {"models": {"gpt-4o-mini": {"input": 1.0,}}}}}', "invalid JSON"),
    ('{"version": 1, "providers": {"openai": {"models": {"gpt-4o-mini": {"input": -1.0}}}}}',
     "providers.openai.models.gpt-4o-mini.input: must not be negative"),
    ('{"version": 1, "providers": {"openai": {"models": {"house-llama-priced": {"input": 1.0}}}}}',
     "providers.openai.models.house-llama-priced: missing 'output'"),
])
def test_malformed_override_is_one_error_and_the_bundled_table(tmp_path: Path, client: openai.OpenAI,
                                                               telemetry: Any, caplog: pytest.LogCaptureFixture,
                                                               content: str, problem: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        with instrumented_with({"GENAI_OTEL_PRICES_FILE": str(path)}):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert str(path) in errors[0]
    assert problem in errors[0]
    # bundled prices: 8 x 0.15 + 5 x 0.60 = 4.2 µ$
    assert [dict(s.attributes)[COST] for s in telemetry.genai_spans()] == [usd(4.2e-6), usd(4.2e-6)]
