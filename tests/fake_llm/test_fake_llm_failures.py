"""Failure directives (status, fail_first, break_after, delays, ratelimit) as the real SDKs experience them."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import openai
import pytest
from fake_llm_support import USER_MESSAGE, steer

from genai_otel.testing.fake_llm import FakeLLMServer

MODEL = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"


@pytest.mark.parametrize(
    ("status", "error_class", "error_type", "code"),
    [
        (429, openai.RateLimitError, "requests", "rate_limit_exceeded"),
        (500, openai.InternalServerError, "server_error", None),
        (400, openai.BadRequestError, "invalid_request_error", None),
        (404, openai.NotFoundError, "invalid_request_error", "model_not_found"),
        (418, openai.APIStatusError, "invalid_request_error", None),
    ],
)
def test_openai_status_errors(
    oai: openai.OpenAI, status: int, error_class: type[openai.APIStatusError], error_type: str, code: str | None
) -> None:
    with pytest.raises(error_class) as caught:
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer(f"status={status}"))
    error = caught.value
    assert error.status_code == status
    assert error.type == error_type and error.code == code and error.param is None
    assert error.request_id is not None and error.request_id.startswith("req_fake")
    assert json.loads(error.response.text)["error"]["message"].startswith("fake-llm:")
    assert error.response.headers.get("retry-after") == ("0" if status == 429 else None)


async def test_openai_async_stream_error(aoai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        await aoai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, **steer("status=429"))


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
    ],
)
def test_anthropic_status_errors(
    claude: anthropic.Anthropic, status: int, error_class: type[anthropic.APIStatusError], error_type: str
) -> None:
    with pytest.raises(error_class) as caught:
        claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, **steer(f"status={status}"))
    error = caught.value
    assert error.status_code == status
    assert isinstance(error.body, dict)
    assert error.body["type"] == "error" and error.body["error"]["type"] == error_type
    assert error.body["request_id"] == error.response.headers["request-id"]
    assert error.response.headers["x-should-retry"] == ("false" if status in (400, 401) else "true")


async def test_anthropic_async_stream_error(aclaude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.RateLimitError):
        await aclaude.messages.create(
            model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, stream=True, **steer("status=429")
        )


def test_fail_first_is_retried_by_the_sdk(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    completion = oai.with_options(max_retries=2).chat.completions.create(
        model=MODEL, messages=USER_MESSAGE, **steer("fail_first=2,fail_status=429")
    )
    assert completion.choices[0].message.content
    attempts = server.requests
    assert len(attempts) == 3
    assert [request.headers["x-stainless-retry-count"] for request in attempts] == ["0", "1", "2"]


def test_fail_first_runs_out_of_retries(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        oai.with_options(max_retries=1).chat.completions.create(
            model=MODEL, messages=USER_MESSAGE, **steer("fail_first=2,retry_after_ms=1")
        )
    assert len(server.requests) == 2
    completion = oai.chat.completions.create(
        model=MODEL, messages=USER_MESSAGE, **steer("fail_first=2,retry_after_ms=1")
    )
    assert completion.choices, "the third attempt of the same request succeeds"


def test_fail_first_counts_each_body_separately(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    for content in ("first", "second"):
        with pytest.raises(openai.InternalServerError):
            oai.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": content}], **steer("fail_first=1")
            )
    server.clear()
    with pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "first"}], **steer("fail_first=1")
        )


async def test_anthropic_async_fail_first(server: FakeLLMServer, aclaude: anthropic.AsyncAnthropic) -> None:
    message = await aclaude.with_options(max_retries=2).messages.create(
        model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, **steer("fail_first=2,retry_after_ms=1")
    )
    assert message.content
    assert [request.headers["x-stainless-retry-count"] for request in server.requests] == ["0", "1", "2"]


def test_openai_broken_stream_raises_mid_stream(oai: openai.OpenAI) -> None:
    received = []
    stream = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, **steer("break_after=2"))
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == ["", "word0", " word1"]


async def test_openai_async_broken_stream(aoai: openai.AsyncOpenAI) -> None:
    stream = await aoai.chat.completions.create(
        model=MODEL,
        messages=USER_MESSAGE,
        stream=True,
        stream_options={"include_usage": True},
        **steer("break_after=0"),
    )
    with pytest.raises(openai.APIConnectionError):
        async for _chunk in stream:
            pass


def test_anthropic_broken_stream_raises_mid_stream(claude: anthropic.Anthropic) -> None:
    events = []
    stream = claude.messages.create(
        model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, stream=True, **steer("break_after=3")
    )
    with pytest.raises(httpx2.RemoteProtocolError):
        for event in stream:
            events.append(event.type)
    assert events == ["message_start", "content_block_start"] + ["content_block_delta"] * 3


async def test_anthropic_async_broken_stream(aclaude: anthropic.AsyncAnthropic) -> None:
    async with aclaude.messages.stream(
        model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, **steer("break_after=1")
    ) as stream:
        with pytest.raises(httpx2.RemoteProtocolError):
            async for _event in stream:
                pass


def test_break_after_without_stream_closes_the_connection(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("break_after=0"))


def test_delay_before_the_first_byte(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        oai.with_options(timeout=0.1).chat.completions.create(
            model=MODEL, messages=USER_MESSAGE, **steer("delay_ms=600")
        )
    started = time.monotonic()
    oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("delay_ms=80"))
    assert time.monotonic() - started >= 0.08


def test_slow_stream(oai: openai.OpenAI) -> None:
    started = time.monotonic()
    stream = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, **steer("chunk_delay_ms=40"))
    chunks = list(stream)
    assert len(chunks) == 7
    assert time.monotonic() - started >= 7 * 0.04  # a pause before each frame after the first, [DONE] included


def test_openai_rate_limit_headers(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model=MODEL, messages=USER_MESSAGE, **steer("ratelimit"))
    assert raw.headers["x-ratelimit-limit-requests"] == "10000"
    assert raw.headers["x-ratelimit-remaining-requests"] == "9999"
    assert raw.headers["x-ratelimit-remaining-tokens"] == "199990"
    assert raw.headers["x-ratelimit-reset-requests"] == "8.64s"
    assert raw.headers["x-ratelimit-reset-tokens"] == "6ms"
    with pytest.raises(openai.RateLimitError) as caught:
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("ratelimit,status=429"))
    assert caught.value.response.headers["x-ratelimit-remaining-requests"] == "0"


def test_anthropic_rate_limit_headers(claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(
        model=CLAUDE, max_tokens=50, messages=USER_MESSAGE, **steer("ratelimit")
    )
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert int(raw.headers[f"anthropic-ratelimit-{kind}-limit"]) > 0
        assert raw.headers[f"anthropic-ratelimit-{kind}-reset"].endswith("Z")
    assert raw.headers["anthropic-ratelimit-requests-remaining"] == "999"
    assert raw.headers["request-id"].startswith("req_fake")


def test_unknown_directive_is_a_400_that_names_it(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    with pytest.raises(openai.BadRequestError, match="chunkz"):
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("chunkz=3"))
    with pytest.raises(anthropic.BadRequestError, match="needs an integer"):
        claude.messages.create(model=CLAUDE, max_tokens=5, messages=USER_MESSAGE, **steer("chunks=many"))
