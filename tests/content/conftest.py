"""Fixtures for message content: the SDKs re-instrumented with a capture mode, an in-memory logs pipeline, clients.

Every test drives the real ``openai`` (and ``anthropic``) SDK over real HTTP to the fake LLM server and reads back
what the OpenTelemetry SDK exported: spans from the shared in-memory exporter, events from ``LOGS`` here.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_ANTHROPIC_KEY, FAKE_API_KEY, METER_PROVIDER, TRACER_PROVIDER, Telemetry

HAS_ANTHROPIC = (importlib.util.find_spec("anthropic") is not None
                 and importlib.util.find_spec("genai_otel.instrumentation.anthropic") is not None)
MODE_VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
EVENT = "gen_ai.client.inference.operation.details"
CONTENT_ATTRIBUTES = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                      "gen_ai.tool.definitions")
MODES = ("NO_CONTENT", "SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT")

LOGS = InMemoryLogRecordExporter()
LOGGER_PROVIDER = LoggerProvider()
LOGGER_PROVIDER.add_log_record_processor(SimpleLogRecordProcessor(LOGS))


def _instrumentors() -> list[Any]:
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    found: list[Any] = [OpenAIInstrumentor()]
    if HAS_ANTHROPIC:
        import anthropic  # noqa: F401 - imported before instrumenting, so it is patched at instrument()

        from genai_otel.instrumentation.anthropic import AnthropicInstrumentor

        found.append(AnthropicInstrumentor())
    return found


@contextlib.contextmanager
def capturing(mode: str | None = "SPAN_AND_EVENT", env: dict[str, str] | None = None,
              **instrument_kwargs: Any) -> Iterator[None]:
    """Both SDKs re-instrumented with ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=mode`` (unset for None) and
    ``env``, on the shared providers plus ``LOGGER_PROVIDER``; the session's setup is restored afterwards."""
    instrumentors = _instrumentors()
    kwargs: dict[str, Any] = {"tracer_provider": TRACER_PROVIDER, "meter_provider": METER_PROVIDER,
                              "logger_provider": LOGGER_PROVIDER}
    kwargs.update(instrument_kwargs)
    before = [instrumentor.is_instrumented_by_opentelemetry for instrumentor in instrumentors]
    for instrumentor, was_on in zip(instrumentors, before, strict=True):
        if was_on:
            instrumentor.uninstrument()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv(MODE_VARIABLE, raising=False)
            if mode is not None:
                patch.setenv(MODE_VARIABLE, mode)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            for instrumentor in instrumentors:
                instrumentor.instrument(**kwargs)
            try:
                yield
            finally:
                for instrumentor in instrumentors:
                    instrumentor.uninstrument()
    finally:
        for instrumentor, was_on in zip(instrumentors, before, strict=True):
            if was_on:
                instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)


def events() -> list[ReadableLogRecord]:
    return [record for record in LOGS.get_finished_logs() if record.log_record.event_name == EVENT]


def only_event() -> ReadableLogRecord:
    found = events()
    assert len(found) == 1, [r.log_record.event_name for r in LOGS.get_finished_logs()]
    return found[0]


def content_of(attributes: Any) -> dict[str, Any]:
    return {name: attributes[name] for name in CONTENT_ATTRIBUTES if name in (attributes or {})}


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(chunks=3, tool_calls=2)``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}


@pytest.fixture
def logs(telemetry: Telemetry) -> Iterator[InMemoryLogRecordExporter]:
    LOGS.clear()
    yield LOGS
    LOGS.clear()


@pytest.fixture
def client(server: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=0) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclient(server: FakeLLMServer) -> AsyncIterator[openai.AsyncOpenAI]:
    sdk_client = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=0)
    yield sdk_client
    await sdk_client.close()


@pytest.fixture
def claude(server: FakeLLMServer) -> Iterator[Any]:
    if not HAS_ANTHROPIC:
        pytest.skip("the anthropic SDK or genai_otel.instrumentation.anthropic is not importable")
    import anthropic

    with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=0,
                             timeout=10.0) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclaude(server: FakeLLMServer) -> AsyncIterator[Any]:
    if not HAS_ANTHROPIC:
        pytest.skip("the anthropic SDK or genai_otel.instrumentation.anthropic is not importable")
    import anthropic

    sdk_client = anthropic.AsyncAnthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url,
                                          max_retries=0, timeout=10.0)
    yield sdk_client
    await sdk_client.close()
