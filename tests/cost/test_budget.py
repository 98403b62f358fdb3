"""The spend budget: the rolling window, once per window, thread safety, the env vars, and the events end to end.

End to end, each test uses its own threshold: instrumentors started with the same settings share one spend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from genai_otel.genai.cost import Budget, budget_from_env, parse_window
from tests.cost.conftest import HAS_ANTHROPIC, MESSAGES, NO_ANTHROPIC, instrumented_with

EVENT = "genai_otel.budget.exceeded"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the window ---


def test_fires_when_the_spend_goes_over_and_once_per_window() -> None:
    clock = Clock()
    budget = Budget(1.0, 60.0, clock=clock)  # 60 slots of one second
    assert budget.add(0.6) is None
    assert budget.add(0.4) is None  # 1.0 is not over 1.0
    assert budget.add(0.25) == pytest.approx(1.25)  # t=1000: over
    clock.now = 1030.0
    assert budget.add(5.0) is None  # still over, but it fired less than a window ago
    clock.now = 1061.0  # a window after the event; the 5.0 of t=1030 is still in the window
    assert budget.add(0.01) == pytest.approx(5.01)  # still over: once more
    clock.now = 1062.0
    assert budget.add(1.0) is None
    clock.now = 1200.0  # everything above left the window
    assert budget.add(0.5) is None
    assert budget.spend() == pytest.approx(0.5)
    assert budget.add(0.6) == pytest.approx(1.1)  # over again, more than a window after the last event


def test_the_window_rolls_in_sixtieths() -> None:
    clock = Clock()
    clock.now = 0.0
    budget = Budget(100.0, 60.0, clock=clock)  # 60 slots of one second: [0, 1), [1, 2), ...
    budget.add(1.0)  # slot 0
    clock.now = 30.5
    budget.add(2.0)  # slot 30
    clock.now = 59.9
    assert budget.spend() == pytest.approx(3.0)  # the window is the current slot (59) and the 59 before it
    clock.now = 60.0
    assert budget.spend() == pytest.approx(2.0)  # slot 0 left it
    clock.now = 89.9
    assert budget.spend() == pytest.approx(2.0)
    clock.now = 90.0
    assert budget.spend() == 0.0  # slot 30 left it
    clock.now = 10_000.0  # a long idle gap
    budget.add(0.5)
    assert budget.spend() == pytest.approx(0.5)


def test_thread_safe_exactly_one_event() -> None:
    budget = Budget(1.0, 3600.0)
    events: list[float] = []

    def spend() -> None:
        for _ in range(1000):
            crossed = budget.add(0.001)
            if crossed is not None:
                events.append(crossed)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(events) == 1
    assert events[0] > 1.0
    assert budget.spend() == pytest.approx(8.0)


def test_budget_needs_positive_finite_settings() -> None:
    for threshold, window in ((0.0, 60.0), (-1.0, 60.0), (float("nan"), 60.0), (1.0, 0.0), (1.0, float("inf"))):
        with pytest.raises(ValueError):
            Budget(threshold, window)


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90.0), ("30m", 1800.0), ("1h", 3600.0), ("1.5h", 5400.0), ("24h", 86400.0), ("7d", 604800.0),
    (" 2H ", 7200.0), ("10 m", 600.0), ("1", None), ("1w", None), ("h", None), ("0h", None), ("-1h", None),
    ("one hour", None), ("", None), ("1e3s", None),
])
def test_parse_window(text: str, seconds: float | None) -> None:
    assert parse_window(text) == seconds


# --- the environment ---


def _warnings(caplog: pytest.LogCaptureFixture, variable: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and variable in r.getMessage()]


def test_env_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENAI_OTEL_BUDGET_USD", raising=False)
    monkeypatch.setenv("GENAI_OTEL_BUDGET_WINDOW", "1h")
    assert budget_from_env() is None  # a window alone is no budget
    monkeypatch.setenv("GENAI_OTEL_BUDGET_USD", " 25.5 ")
    assert budget_from_env() == (25.5, 3600.0, "1h")
    monkeypatch.delenv("GENAI_OTEL_BUDGET_WINDOW")
    assert budget_from_env() == (25.5, 86400.0, "24h")


@pytest.mark.parametrize("raw", ["ten dollars", "-5", "0", "nan", "inf"])
def test_bad_threshold_warns_once_and_sets_no_budget(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture, raw: str) -> None:
    monkeypatch.setenv("GENAI_OTEL_BUDGET_USD", raw)
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert budget_from_env() is None
        assert budget_from_env() is None
    [warning] = _warnings(caplog, "GENAI_OTEL_BUDGET_USD")
    assert repr(raw) in warning
    assert "no budget" in warning


def test_bad_window_warns_once_and_uses_24h(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GENAI_OTEL_BUDGET_USD", "3")
    monkeypatch.setenv("GENAI_OTEL_BUDGET_WINDOW", "one fortnight")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert budget_from_env() == (3.0, 86400.0, "24h")
        assert budget_from_env() == (3.0, 86400.0, "24h")
    [warning] = _warnings(caplog, "GENAI_OTEL_BUDGET_WINDOW")
    assert "'one fortnight'" in warning and "'24h'" in warning


# --- end to end ---


@pytest.fixture
def logs() -> Iterator[tuple[LoggerProvider, InMemoryLogRecordExporter]]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _events(exporter: InMemoryLogRecordExporter) -> list[Any]:
    return [r.log_record for r in exporter.get_finished_logs() if r.log_record.event_name == EVENT]


def test_budget_event_fires_once(client: openai.OpenAI, telemetry: Any, caplog: pytest.LogCaptureFixture,
                                 logs: tuple[LoggerProvider, InMemoryLogRecordExporter]) -> None:
    provider, exporter = logs
    env = {"GENAI_OTEL_BUDGET_USD": "0.00001", "GENAI_OTEL_BUDGET_WINDOW": "1h"}
    with caplog.at_level(logging.WARNING, logger="genai_otel"), instrumented_with(env, logger_provider=provider):
        for _ in range(5):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    # each call: 8 x 0.15 + 5 x 0.60 = 4.2 µ$; 4.2, 8.4, then 12.6 µ$ > 10 µ$ on the third call; nothing after
    [event] = _events(exporter)
    assert event.attributes["genai_otel.budget.spend_usd"] == pytest.approx(12.6e-6, rel=1e-12)
    assert event.attributes["genai_otel.budget.threshold_usd"] == 1e-5
    assert event.attributes["genai_otel.budget.window_s"] == 3600.0
    assert event.severity_text == "WARN"
    assert "$0.000013" in event.body and "1h" in event.body
    [warning] = [r.getMessage() for r in caplog.records if "over the budget" in r.getMessage()]
    assert warning == event.body
    [counter] = telemetry.metric_points(EVENT)
    assert (counter["value"], counter["attributes"], counter["unit"]) == (1, {}, "{event}")
    third = telemetry.genai_spans()[2]
    assert event.trace_id == third.context.trace_id  # emitted while the third call's span was current


def test_budget_fires_again_after_a_window(client: openai.OpenAI, telemetry: Any,
                                           logs: tuple[LoggerProvider, InMemoryLogRecordExporter]) -> None:
    provider, exporter = logs
    env = {"GENAI_OTEL_BUDGET_USD": "0.000003", "GENAI_OTEL_BUDGET_WINDOW": "1s"}
    with instrumented_with(env, logger_provider=provider):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # 4.2 µ$ > 3 µ$: fires
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # same window: no
        time.sleep(1.1)
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # a window later: fires again
    assert [e.attributes["genai_otel.budget.spend_usd"] for e in _events(exporter)] == pytest.approx(
        [4.2e-6, 4.2e-6], rel=1e-12)
    assert telemetry.metric_points(EVENT)[0]["value"] == 2


@pytest.mark.skipif(not HAS_ANTHROPIC, reason=NO_ANTHROPIC)
def test_one_budget_for_every_provider(client: openai.OpenAI, fake_llm: Any, telemetry: Any,
                                       logs: tuple[LoggerProvider, InMemoryLogRecordExporter]) -> None:
    import anthropic

    from tests.conftest import FAKE_ANTHROPIC_KEY

    provider, exporter = logs
    with instrumented_with({"GENAI_OTEL_BUDGET_USD": "0.00003"}, logger_provider=provider):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # 4.2 µ$
        with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=fake_llm.anthropic_base_url,
                                 max_retries=0) as claude:
            claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MESSAGES)  # 33 µ$
    # 4.2 + 33 = 37.2 µ$ > 30 µ$, in the default 24h window
    [event] = _events(exporter)
    assert event.attributes["genai_otel.budget.spend_usd"] == pytest.approx(37.2e-6, rel=1e-12)
    assert event.attributes["genai_otel.budget.window_s"] == 86400.0


def test_no_budget_no_event(client: openai.OpenAI, telemetry: Any,
                            logs: tuple[LoggerProvider, InMemoryLogRecordExporter]) -> None:
    provider, exporter = logs
    with instrumented_with({"GENAI_OTEL_BUDGET_USD": ""}, logger_provider=provider):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert _events(exporter) == []
    assert telemetry.metric_points(EVENT) == []
