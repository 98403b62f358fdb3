"""Fixtures for the Anthropic instrumentation: the real ``anthropic`` SDK over real HTTP to the fake LLM server.

The instrumentor is installed once per session on the shared in-memory providers of ``tests/conftest.py``; the
``telemetry`` fixture here depends on it (and replaces the root one, which instruments OpenAI, in this folder).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import anthropic._base_client
import pytest

from genai_otel.genai.pricing import cost_usd, default_price_table
from genai_otel.genai.types import Usage
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import (
    FAKE_ANTHROPIC_KEY,
    METER_PROVIDER,
    TRACER_PROVIDER,
    Telemetry,
    _metric_reader,
    _span_exporter,
)

MODEL = "claude-haiku-4-5"
"""The fake server answers with the dated name, ``RESPONSE_MODEL``."""
RESPONSE_MODEL = "claude-haiku-4-5-20251001"
USER = [{"role": "user", "content": "Say this is a test"}]
"""5 words: the fake server counts 3 + 5 = 8 input tokens."""
TIMEOUT_S = 10.0

SDK_VERSION = tuple(int(part) for part in anthropic.__version__.split(".")[:2])
HTTPX: Any = getattr(anthropic._base_client, "httpx2", None) or anthropic._base_client.httpx  # type: ignore[attr-defined]
"""The HTTP library this SDK is built on: ``httpx2`` (anthropic >= 1.0) or ``httpx``."""


def sdk_has(obj: Any, *path: str) -> bool:
    """Whether this SDK version has ``obj.path...`` (e.g. ``sdk_has(Messages, "parse")``)."""
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return False
    return True


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(chunks=100, status=429)``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}


@pytest.fixture(scope="session")
def anthropic_instrumented() -> Iterator[None]:
    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor

    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    yield
    instrumentor.uninstrument()


@pytest.fixture
def telemetry(anthropic_instrumented: None) -> Iterator[Telemetry]:
    recorded = Telemetry(_span_exporter, _metric_reader)
    recorded.clear()
    yield recorded
    recorded.clear()


@pytest.fixture
def client(server: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=0,
                             timeout=TIMEOUT_S) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclient(server: FakeLLMServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk_client = anthropic.AsyncAnthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url,
                                          max_retries=0, timeout=TIMEOUT_S)
    yield sdk_client
    await sdk_client.close()


CORE_EXTRAS: dict[str, type] = {
    "genai_otel.prompt.hash": str,  # content capture (issue 5), on every inference span
    "genai_otel.http.attempts": int,  # the extensions: HTTP attempts, request id, JSON-output check
    "genai_otel.http.wait_s": float,
    "genai_otel.request_id": str,
    "genai_otel.output.json.valid": bool,
    "genai_otel.output.json.check": str,
}
"""Attributes the core adds to every span, owned and tested by their features: checked here for type, then left out
so the Anthropic tests compare everything the adapter is responsible for, exactly."""


def attributes_of(span: Any) -> dict[str, Any]:
    attributes = dict(span.attributes or {})
    for name, kind in CORE_EXTRAS.items():
        if name in attributes:
            assert isinstance(attributes.pop(name), kind), name
    return attributes


def cost_of(provider: str, model: str, attrs: dict[str, Any]) -> float:
    """What the price table says a call with the span's token counts costs (the adapter must hand over usage right)."""
    price = default_price_table().lookup(provider, model)
    assert price is not None, (provider, model)
    usage = Usage(input_tokens=attrs.get("gen_ai.usage.input_tokens"),
                  output_tokens=attrs.get("gen_ai.usage.output_tokens"),
                  cache_read_input_tokens=attrs.get("gen_ai.usage.cache_read.input_tokens"),
                  cache_creation_input_tokens=attrs.get("gen_ai.usage.cache_creation.input_tokens"))
    return cost_usd(price, usage)
