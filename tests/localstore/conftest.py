"""Fixtures for the local-store tests: the fake LLM server and a fresh store path per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_API_KEY


@pytest.fixture
def client(fake_llm: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0) as sdk_client:
        yield sdk_client


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Where a test's store goes (not created)."""
    return tmp_path / "store" / "calls.sqlite3"
