from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_API_KEY


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def client(fake_llm: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclient(fake_llm: FakeLLMServer) -> Any:
    sdk_client = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0)
    yield sdk_client
    await sdk_client.close()


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(chunks=100, status=429)``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}
