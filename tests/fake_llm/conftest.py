"""Fixtures for driving the real OpenAI and Anthropic SDKs against the fake LLM server (no instrumentation)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import openai
import pytest

from genai_otel.testing.fake_llm import FakeLLMServer

TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def running_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def server(running_server: FakeLLMServer) -> FakeLLMServer:
    running_server.clear()
    return running_server


@pytest.fixture
def oai(server: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-fake", base_url=server.openai_base_url, max_retries=0, timeout=TIMEOUT_S) as client:
        yield client


@pytest.fixture
async def aoai(server: FakeLLMServer) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(api_key="sk-fake", base_url=server.openai_base_url, max_retries=0, timeout=TIMEOUT_S)
    yield client
    await client.close()


@pytest.fixture
def claude(server: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(api_key="sk-ant-fake", base_url=server.anthropic_base_url, max_retries=0)
    with client.with_options(timeout=TIMEOUT_S) as scoped:
        yield scoped


@pytest.fixture
async def aclaude(server: FakeLLMServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-fake", base_url=server.anthropic_base_url, max_retries=0, timeout=TIMEOUT_S
    )
    yield client
    await client.close()
