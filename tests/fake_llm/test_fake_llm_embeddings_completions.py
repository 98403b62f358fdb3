"""The real OpenAI SDK against the fake server: ``/v1/embeddings`` and the legacy ``/v1/completions``."""

from __future__ import annotations

import base64
import json
import math
import struct

import openai
import pytest
from fake_llm_support import steer

from genai_otel.testing.fake_llm import FakeLLMServer

EMBEDDING_MODEL = "text-embedding-3-small"
INSTRUCT_MODEL = "gpt-3.5-turbo-instruct"


def test_float_embeddings(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    raw = oai.embeddings.with_raw_response.create(
        model=EMBEDDING_MODEL, input=["one two three", "four"], encoding_format="float"
    )
    result = raw.parse()
    assert result.model == EMBEDDING_MODEL and raw.headers["openai-model"] == EMBEDDING_MODEL
    assert [item.index for item in result.data] == [0, 1]
    vector = result.data[0].embedding
    assert len(vector) == 1536
    assert math.isclose(sum(value * value for value in vector), 1.0, rel_tol=1e-5)
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (4, 4)
    again = oai.embeddings.create(model=EMBEDDING_MODEL, input="one two three", encoding_format="float")
    assert again.data[0].embedding == vector, "the same input embeds the same way"
    assert list(json.loads(raw.http_response.text)) == ["object", "data", "model", "usage"]


def test_base64_embeddings_with_dimensions(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    result = oai.embeddings.create(model=EMBEDDING_MODEL, input="hello there", dimensions=8, encoding_format="base64")
    assert server.requests[-1].body["encoding_format"] == "base64"
    embedding = result.data[0].embedding
    if isinstance(embedding, str):  # some SDK versions hand base64 back as it came
        embedding = list(struct.unpack("<8f", base64.b64decode(embedding)))
    assert len(embedding) == 8
    plain = oai.embeddings.create(model=EMBEDDING_MODEL, input="hello there", dimensions=8, encoding_format="float")
    assert embedding == pytest.approx(plain.data[0].embedding, abs=1e-6)


async def test_async_default_encoding_and_token_arrays(server: FakeLLMServer, aoai: openai.AsyncOpenAI) -> None:
    result = await aoai.embeddings.create(model="text-embedding-3-large", input=[[1, 2, 3], [4, 5]])
    assert [len(item.embedding) for item in result.data] == [3072, 3072]
    assert result.usage.prompt_tokens == 5


def test_embedding_errors(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.embeddings.create(model="nope", input="hi", **steer("status=404"))


def test_legacy_completion(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model=INSTRUCT_MODEL, prompt="Say this is a test", **steer("chunks=3"))
    assert completion.id.startswith("cmpl-fake") and completion.object == "text_completion"
    assert completion.model == INSTRUCT_MODEL
    choice = completion.choices[0]
    assert (choice.text, choice.index, choice.finish_reason) == ("word0 word1 word2", 0, "stop")
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 3)


def test_legacy_completion_default_max_tokens_and_several_prompts(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model=INSTRUCT_MODEL, prompt=["a b", "c"], n=2, **steer("chunks=20"))
    assert len(completion.choices) == 4
    assert {choice.finish_reason for choice in completion.choices} == {"length"}
    assert completion.choices[0].text == " ".join(f"word{i}" for i in range(16))
    assert completion.usage is not None and completion.usage.completion_tokens == 4 * 16


def test_legacy_completion_stream(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.completions.create(
            model=INSTRUCT_MODEL, prompt="hi", stream=True, stream_options={"include_usage": True}, **steer("chunks=3")
        )
    )
    *text_chunks, finish, usage_chunk = chunks
    assert [chunk.choices[0].text for chunk in text_chunks] == ["word0", " word1", " word2"]
    assert finish.choices[0].finish_reason == "stop" and finish.choices[0].text == ""
    assert usage_chunk.choices == [] and usage_chunk.usage is not None and usage_chunk.usage.completion_tokens == 3


async def test_async_legacy_completion_stream(aoai: openai.AsyncOpenAI) -> None:
    stream = await aoai.completions.create(model=INSTRUCT_MODEL, prompt="hi", stream=True, **steer("finish=length"))
    reasons = [chunk.choices[0].finish_reason async for chunk in stream]
    assert reasons[-1] == "length" and set(reasons[:-1]) == {None}
