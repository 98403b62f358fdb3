"""Which instrumentors our distro loads: the choice made per entry point (no other venv needed)."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from genai_otel._others import KNOWN, to_skip
from genai_otel.distro import GenAIOtelDistro

THEIRS = [EntryPoint(name, value, "opentelemetry_instrumentor") for name, value in (
    ("openai", "opentelemetry.instrumentation.openai_v2:OpenAIInstrumentor"),
    ("openai", "opentelemetry.instrumentation.genai.openai:OpenAIInstrumentor"),
    ("anthropic", "opentelemetry.instrumentation.genai.anthropic:AnthropicInstrumentor"),
    ("openai", "opentelemetry.instrumentation.openai:OpenAIInstrumentor"),
    ("anthropic", "opentelemetry.instrumentation.anthropic:AnthropicInstrumentor"),
    ("openai", "openinference.instrumentation.openai:OpenAIInstrumentor"),
    ("anthropic", "openinference.instrumentation.anthropic:AnthropicInstrumentor"),
)]
NOT_GENAI = [EntryPoint(name, value, "opentelemetry_instrumentor") for name, value in (
    ("genai_otel_openai", "genai_otel.instrumentation.openai:OpenAIInstrumentor"),
    ("httpx", "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor"),
    ("openai_agents", "opentelemetry.instrumentation.openai_agents:OpenAIAgentsInstrumentor"),
    ("threading", "opentelemetry.instrumentation.threading:ThreadingInstrumentor"),
)]


def test_every_known_one_is_recognised() -> None:
    assert [to_skip(ep, {}) for ep in THEIRS] == list(KNOWN)
    assert [to_skip(ep, {}) for ep in NOT_GENAI] == [None] * len(NOT_GENAI)


def test_allow_and_our_disabled_instrumentor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_OTEL_OTHER_INSTRUMENTATIONS", "ALLOW")
    assert [to_skip(ep, {}) for ep in THEIRS] == [None] * len(THEIRS)
    monkeypatch.delenv("GENAI_OTEL_OTHER_INSTRUMENTATIONS")
    disabled = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "flask, genai_otel_anthropic"}
    assert [bool(to_skip(ep, disabled)) for ep in THEIRS] == [True, True, False, True, False, True, False]


def test_a_bad_value_warns_once_and_suppresses(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GENAI_OTEL_OTHER_INSTRUMENTATIONS", "both")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert to_skip(THEIRS[0], {}) is KNOWN[0]
        assert to_skip(THEIRS[1], {}) is KNOWN[1]
    assert [r.getMessage() for r in caplog.records] == [
        "genai-otel: ignoring GENAI_OTEL_OTHER_INSTRUMENTATIONS='both' (expected one of allow, suppress); using the "
        "default 'suppress'"]


def test_the_distro_loads_all_but_the_skipped(monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    loaded: list[str] = []

    class Point:
        def __init__(self, entry_point: EntryPoint) -> None:
            self.name, self.value = entry_point.name, entry_point.value

        def load(self) -> Any:
            value = self.value

            class Instrumentor:
                def instrument(self, **kwargs: Any) -> None:
                    loaded.append(value)

            return Instrumentor

    with caplog.at_level(logging.INFO, logger="genai_otel"):
        for entry_point in [*NOT_GENAI, *THEIRS]:
            GenAIOtelDistro().load_instrumentor(Point(entry_point), skip_dep_check=True)
    assert loaded == [ep.value for ep in NOT_GENAI]
    assert [r.getMessage() for r in caplog.records][0] == (
        "genai-otel: not loading opentelemetry-instrumentation-openai-v2 (entry point 'openai'): genai-otel records "
        "the openai calls' GenAI spans; set GENAI_OTEL_OTHER_INSTRUMENTATIONS=allow to load it too")
