"""Shared by the hardening tests: both instrumentors on the suite's in-memory providers (every optional step on:
message content, prompt hash, cost), an open-span tracker, the fake LLM server, and the figures they report.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.trace import SpanProcessor

from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.faults import internal_errors_swallowed  # noqa: F401 - used by the hardening tests
from genai_otel.testing.open_spans import OpenSpanTracker
from tests.conftest import METER_PROVIDER, TRACER_PROVIDER, Telemetry, _metric_reader, _span_exporter
from tests.hardening._scenarios import Clients, EveryPhaseHooks


class SwitchableProcessor(SpanProcessor):
    """Forwards to ``target`` when one is set: a test can put an exporter behind the suite's provider for a while."""

    def __init__(self) -> None:
        self.target: SpanProcessor | None = None

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        target = self.target
        if target is not None:
            target.on_start(span, parent_context)

    def on_end(self, span: Any) -> None:
        target = self.target
        if target is not None:
            target.on_end(span)


TRACKER = OpenSpanTracker()
TRACER_PROVIDER.add_span_processor(TRACKER)
EXPORT = SwitchableProcessor()
TRACER_PROVIDER.add_span_processor(EXPORT)
LOGGER_PROVIDER = LoggerProvider()

STEPS_ON: dict[str, str] = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
}
"""Environment that turns on every optional step of a call (read when an instrumentor starts)."""

FIGURES: dict[str, Any] = {}
"""What the hardening tests measured, printed at the end of the session (and asked for in the issue's report)."""


def _instrumentors() -> list[Any]:
    found = []
    try:
        from genai_otel.instrumentation.openai import OpenAIInstrumentor

        found.append(OpenAIInstrumentor())
    except ImportError:
        pass
    try:
        from genai_otel.instrumentation.anthropic import AnthropicInstrumentor

        found.append(AnthropicInstrumentor())
    except ImportError:
        pass
    return found


@contextmanager
def reinstrumented(environ: dict[str, str], tracer_provider: Any = TRACER_PROVIDER,
                   meter_provider: Any = METER_PROVIDER) -> Iterator[None]:
    """Both instrumentors started afresh under ``environ`` (on the suite's providers unless others are given); the
    previous state after."""
    instrumentors = _instrumentors()
    before = [i.is_instrumented_by_opentelemetry for i in instrumentors]
    for instrumentor, was in zip(instrumentors, before, strict=True):
        if was:
            instrumentor.uninstrument()
    saved = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        for instrumentor in instrumentors:
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                    logger_provider=LOGGER_PROVIDER)
        yield
    finally:
        for instrumentor in instrumentors:
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for instrumentor, was in zip(instrumentors, before, strict=True):
            if was:
                instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def clients(fake_llm: FakeLLMServer) -> Iterator[Clients]:
    made = Clients(fake_llm.openai_base_url, fake_llm.anthropic_base_url)
    yield made
    made.close()


@pytest.fixture(scope="module")
def all_steps_on() -> Iterator[None]:
    gc.collect()
    gc.freeze()  # the session's objects so far: full collections (after every faulted run) scan only new ones
    hook = _every_hook_phase()
    try:
        with reinstrumented(STEPS_ON):
            yield
    finally:
        if hook is not None:
            hook.remove()
        gc.unfreeze()


def _every_hook_phase() -> Any:
    try:
        from genai_otel import add_hook
    except ImportError:
        return None
    return add_hook(EveryPhaseHooks(), name="hardening")


@pytest.fixture
def recorded(all_steps_on: None) -> Iterator[Telemetry]:
    telemetry = Telemetry(_span_exporter, _metric_reader)
    telemetry.clear()
    yield telemetry
    telemetry.clear()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("hardening figures")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]}")
