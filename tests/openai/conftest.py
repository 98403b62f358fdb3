from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_API_KEY


@pytest.fixture
def client(fake_llm: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0) as sdk_client:
        yield sdk_client


@pytest.fixture
async def aclient(fake_llm: FakeLLMServer) -> Any:
    sdk_client = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=fake_llm.openai_base_url, max_retries=0)
    yield sdk_client
    await sdk_client.close()


def _broken_stream_errors() -> tuple[type[BaseException], ...]:
    """What the SDK raises when the server drops a stream mid-way: openai 3.x wraps the transport error in
    ``APIConnectionError``; openai 2.x lets httpx's ``RemoteProtocolError`` through."""
    errors: list[type[BaseException]] = [openai.APIConnectionError]
    for transport in ("httpx", "httpx2"):
        try:
            errors.append(__import__(transport).RemoteProtocolError)
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


BROKEN_STREAM_ERRORS = _broken_stream_errors()


def public_error_type(error: BaseException) -> str:
    """``error.type`` as the conventions want it: the public package path of the exception's class."""
    cls = type(error)
    top = cls.__module__.partition(".")[0]
    return f"{top}.{cls.__name__}"


def directives(**values: Any) -> dict[str, Any]:
    """``extra_headers`` steering the fake server, e.g. ``directives(chunks=100, status=429)``."""
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}


# --- SDK versions (the matrix runs these tests from openai 1.26 on; see scripts/matrix.sh) ---

OPENAI_VERSION = tuple(int(part) for part in openai.__version__.split(".")[:2])


def accepts(method: Any, name: str) -> bool:
    """Whether this SDK version's ``method`` takes the keyword argument ``name``."""
    return name in inspect.signature(method).parameters


def chat_helpers(client: Any) -> Any:
    """Where this SDK keeps ``parse()`` / ``stream()``: ``chat.completions`` (openai >= 1.92), else
    ``beta.chat.completions`` (1.40 to 1.91, instrumented through its own patch targets); skips before 1.40."""
    if hasattr(client.chat.completions, "parse"):
        return client.chat.completions
    beta = getattr(getattr(getattr(client, "beta", None), "chat", None), "completions", None)
    if beta is not None and hasattr(beta, "parse"):
        return beta
    pytest.skip(f"openai {openai.__version__} has no chat parse() / stream() helpers (added in 1.40)")


def requires_responses_api() -> None:
    """Skip the calling module on SDKs without the Responses API (openai < 1.66)."""
    if importlib.util.find_spec("openai.resources.responses") is None:
        pytest.skip(f"openai {openai.__version__} has no Responses API (added in 1.66)", allow_module_level=True)
