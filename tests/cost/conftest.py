"""Fixtures for cost on telemetry: both instrumentors on the shared in-memory providers, the fake LLM server, clients.

Expected costs are computed by hand in each test (the arithmetic is in the comments, prices in USD per million
tokens from ``genai_otel/genai/data/prices.json``) and compared to float rounding (``usd()``: relative 1e-12).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest

from genai_otel.genai.pricing import default_price_table
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

HAS_ANTHROPIC = (importlib.util.find_spec("anthropic") is not None
                 and importlib.util.find_spec("genai_otel.instrumentation.anthropic") is not None)
NO_ANTHROPIC = "the anthropic SDK or genai_otel.instrumentation.anthropic is not importable"

COST = "genai_otel.cost.usd"
UNKNOWN = "genai_otel.cost.unknown"
COST_METRIC = "genai_otel.client.cost"
UNPRICED_METRIC = "genai_otel.client.unpriced_calls"

MESSAGES = [{"role": "user", "content": "one two three four five"}]
"""The fake server counts 3 + 5 = 8 input tokens and answers 5 words (5 output tokens)."""


def usd(value: float) -> Any:
    """A cost in USD, compared to float rounding."""
    return pytest.approx(value, rel=1e-12, abs=0)


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(cached=100)``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}


def _instrumentors() -> list[Any]:
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    instrumentors: list[Any] = [OpenAIInstrumentor()]
    if HAS_ANTHROPIC:
        from genai_otel.instrumentation.anthropic import AnthropicInstrumentor

        instrumentors.append(AnthropicInstrumentor())
    return instrumentors


@pytest.fixture(scope="session")
def cost_instrumented(instrumented: None) -> Iterator[None]:
    """OpenAI (the root session fixture) and Anthropic, on the shared providers.

    The SDKs are imported first: an instrumentor's post-import hook outlives ``uninstrument()``, so an SDK first
    imported after a re-instrumentation would be patched by the hook of the first ``instrument()``, old settings and
    all (``instrumented_with`` relies on the SDKs being patched at ``instrument()`` time).
    """
    import openai  # noqa: F401

    if HAS_ANTHROPIC:
        import anthropic  # noqa: F401
    extra = _instrumentors()[1:]
    for instrumentor in extra:
        instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    yield
    for instrumentor in extra:
        instrumentor.uninstrument()


@pytest.fixture
def telemetry(cost_instrumented: None) -> Iterator[Telemetry]:
    recorded = Telemetry(_span_exporter, _metric_reader)
    recorded.clear()
    yield recorded
    recorded.clear()


@contextlib.contextmanager
def instrumented_with(env: dict[str, str] | None = None, **instrument_kwargs: Any) -> Iterator[None]:
    """Re-instrument both SDKs with ``env`` set (and the price table re-read), then restore the session setup."""
    instrumentors = _instrumentors()
    kwargs: dict[str, Any] = {"tracer_provider": TRACER_PROVIDER, "meter_provider": METER_PROVIDER}
    kwargs.update(instrument_kwargs)
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        default_price_table.cache_clear()
        try:
            for instrumentor in instrumentors:
                instrumentor.instrument(**kwargs)
            yield
        finally:
            for instrumentor in instrumentors:
                instrumentor.uninstrument()
    default_price_table.cache_clear()
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)


@pytest.fixture
def client(fake_llm: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclient(fake_llm: FakeLLMServer) -> AsyncIterator[openai.AsyncOpenAI]:
    sdk_client = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0)
    yield sdk_client
    await sdk_client.close()


@pytest.fixture
def anthropic_client(fake_llm: FakeLLMServer) -> Iterator[Any]:
    if not HAS_ANTHROPIC:
        pytest.skip(NO_ANTHROPIC)
    import anthropic

    with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=fake_llm.anthropic_base_url, max_retries=0,
                             timeout=10.0) as sdk_client:
        yield sdk_client


def cost_point(telemetry: Telemetry, name: str = COST_METRIC) -> dict[str, Any]:
    """The one point of ``name`` recorded in this test."""
    points = telemetry.metric_points(name)
    assert len(points) == 1, points
    return points[0]
