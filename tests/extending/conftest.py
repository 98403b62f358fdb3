"""Fixtures for issue 7 (hooks, evaluations, JSON check, HTTP attempts and rate limits, self-health, context).

Both SDKs are re-instrumented for each module on the shared in-memory trace and metric providers of
``tests/conftest.py`` plus an in-memory logs pipeline here (evaluation events), and the session's set-up is restored
afterwards. Every test drives the real ``openai`` / ``anthropic`` SDK over real HTTP to the fake LLM server.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from genai_otel.hooks import REGISTRY, HookHandle, add_hook
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import (
    FAKE_ANTHROPIC_KEY,
    FAKE_API_KEY,
    METER_PROVIDER,
    TRACER_PROVIDER,
    Telemetry,
    _metric_reader,
    _span_exporter,
)

LOGS = InMemoryLogRecordExporter()
LOGGER_PROVIDER = LoggerProvider()
LOGGER_PROVIDER.add_log_record_processor(SimpleLogRecordProcessor(LOGS))
MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
CLAUDE = "claude-haiku-4-5"
USER = [{"role": "user", "content": "Say this is a test"}]
"""5 words: the fake server counts 3 + 5 = 8 input tokens; it answers ``word0 word1 word2 word3 word4``."""
ANSWER = "word0 word1 word2 word3 word4"


def _instrumentors() -> list[Any]:
    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    return [OpenAIInstrumentor(), AnthropicInstrumentor()]


@contextlib.contextmanager
def reinstrumented(env: dict[str, str] | None = None, meter_provider: Any = METER_PROVIDER) -> Iterator[None]:
    """Both SDKs instrumented on the shared providers and ``LOGGER_PROVIDER`` with ``env`` set; restored after."""
    instrumentors = _instrumentors()
    before = [i.is_instrumented_by_opentelemetry for i in instrumentors]
    for instrumentor, was_on in zip(instrumentors, before, strict=True):
        if was_on:
            instrumentor.uninstrument()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            for instrumentor in instrumentors:
                instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=meter_provider,
                                        logger_provider=LOGGER_PROVIDER)
            try:
                yield
            finally:
                for instrumentor in instrumentors:
                    instrumentor.uninstrument()
    finally:
        for instrumentor, was_on in zip(instrumentors, before, strict=True):
            if was_on:
                instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)


@pytest.fixture(scope="module")
def extended(instrumented: None) -> Iterator[None]:
    with reinstrumented():
        yield


@pytest.fixture
def telemetry(extended: None) -> Iterator[Telemetry]:
    recorded = Telemetry(_span_exporter, _metric_reader)
    recorded.clear()
    LOGS.clear()
    yield recorded
    recorded.clear()
    LOGS.clear()


@pytest.fixture
def hooks() -> Iterator[Callable[..., HookHandle]]:
    """``add_hook`` for one test: every hook it adds (and every metric attribute it allows) is gone afterwards."""
    handles: list[HookHandle] = []
    allowed = REGISTRY.metric_keys

    def add(hook: Any, **kwargs: Any) -> HookHandle:
        handle = add_hook(hook, **kwargs)
        handles.append(handle)
        return handle

    yield add
    for handle in handles:
        handle.remove()
    REGISTRY.metric_keys = allowed
    assert not REGISTRY.active


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
def claude(server: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=0,
                             timeout=10.0) as sdk_client:
        yield sdk_client


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(fail_first=2, ratelimit="")``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" if v != "" else k for k, v in values.items())}}


def hook_failures(telemetry: Telemetry) -> dict[tuple[str, str, str], int]:
    """``genai_otel.hook.failures`` since the test started, by (hook name, phase, error.type)."""
    return {(p["attributes"]["genai_otel.hook.name"], p["attributes"]["genai_otel.hook.phase"],
             p["attributes"]["error.type"]): p["value"]
            for p in telemetry.metric_points("genai_otel.hook.failures") if p["attributes"]}


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)
