"""Legacy ``completions.create`` (operation ``text_completion``): sync, async, streamed, errors. Fake LLM server."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.openai.conftest import BROKEN_STREAM_ERRORS, directives, public_error_type

MODEL = "gpt-3.5-turbo-instruct"
PROMPT = "Say hi now"  # 3 tokens on the fake server


def _attrs(span: Any, fake_llm: Any, *, stream: bool) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"text_completion {MODEL}"
    assert attrs["gen_ai.operation.name"] == "text_completion"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])
    assert attrs["gen_ai.request.stream"] is stream
    assert "openai.api.type" not in attrs
    return attrs


def test_create_records_request_and_response(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    completion = client.completions.create(model=MODEL, prompt=PROMPT, temperature=0.5, top_p=0.9, max_tokens=32,
                                           stop=["END", "STOP"], seed=3, n=2, frequency_penalty=0.1,
                                           presence_penalty=0.2)
    assert type(completion) is openai.types.Completion
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=False)
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.max_tokens"] == 32
    assert attrs["gen_ai.request.stop_sequences"] == ("END", "STOP")
    assert attrs["gen_ai.request.seed"] == 3
    assert attrs["gen_ai.request.choice.count"] == 2
    assert attrs["gen_ai.request.frequency_penalty"] == 0.1
    assert attrs["gen_ai.request.presence_penalty"] == 0.2
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gen_ai.response.model"] == completion.model
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 10)
    assert span.status.status_code is StatusCode.UNSET
    points = telemetry.metric_points("gen_ai.client.token.usage")
    tokens = {p["attributes"]["gen_ai.token.type"]: p["sum"] for p in points}
    assert tokens == {"input": 3, "output": 10}
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["gen_ai.operation.name"] == "text_completion"


def test_length_finish(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=2, stop="END")
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert "gen_ai.request.choice.count" not in attrs


def test_stream(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    chunks = list(client.completions.create(model=MODEL, prompt=PROMPT, stream=True, **directives(chunks=3)))
    assert "".join(c.choices[0].text for c in chunks) == "word0 word1 word2"
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == len(chunks) == 4
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.id"] == chunks[0].id
    assert "gen_ai.usage.input_tokens" not in attrs  # 127.0.0.1 is not known to accept include_usage (auto)
    assert "stream_options" not in fake_llm.requests[-1].body


def test_stream_with_callers_usage(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    chunks = list(client.completions.create(model=MODEL, prompt=PROMPT, stream=True,
                                            stream_options={"include_usage": True}))
    assert chunks[-1].usage.completion_tokens == 5
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=True)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)


async def test_async_create_and_stream(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any) -> None:
    completion = await aclient.completions.create(model=MODEL, prompt=PROMPT)
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=False)
    assert attrs["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    telemetry.clear()
    stream = await aclient.completions.create(model=MODEL, prompt=PROMPT, stream=True)
    chunks = [chunk async for chunk in stream]
    attrs = _attrs(telemetry.only_span(), fake_llm, stream=True)
    assert attrs["genai_otel.stream.chunk_count"] == len(chunks) == 6


def test_stream_cut_mid_way(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    with pytest.raises(BROKEN_STREAM_ERRORS) as raised:
        for _ in client.completions.create(model=MODEL, prompt=PROMPT, stream=True, **directives(break_after=1)):
            pass
    span = telemetry.only_span()
    attrs = _attrs(span, fake_llm, stream=True)
    assert span.status.status_code is StatusCode.ERROR
    assert (attrs["genai_otel.stream.ending"], attrs["error.type"]) == ("error", public_error_type(raised.value))


@pytest.mark.parametrize(("status", "error"), [(429, openai.RateLimitError), (503, openai.InternalServerError)])
async def test_async_errors(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any, status: int,
                            error: type) -> None:
    with pytest.raises(error):
        await aclient.completions.create(model=MODEL, prompt=PROMPT, **directives(status=status))
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span, fake_llm, stream=False)["error.type"] == f"openai.{error.__name__}"
