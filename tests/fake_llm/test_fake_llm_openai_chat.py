"""The real OpenAI SDK against the fake server: ``/v1/chat/completions``, JSON and SSE."""

from __future__ import annotations

import json

import openai
import pydantic
import pytest
from fake_llm_support import USER_MESSAGE, steer

from genai_otel.testing.fake_llm import FakeLLMServer

MODEL = "gpt-4o-mini"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
            "additionalProperties": False,
        },
    },
}


def test_completion_object_matches_the_recorded_shape(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model=MODEL, messages=USER_MESSAGE)
    completion = raw.parse()
    assert completion.id.startswith("chatcmpl-fake")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini-2024-07-18"
    assert completion.system_fingerprint == "fp_fake0000"
    assert completion.service_tier == "default"
    choice = completion.choices[0]
    assert (choice.index, choice.finish_reason, choice.logprobs) == (0, "stop", None)
    assert choice.message.role == "assistant"
    assert choice.message.content == "word0 word1 word2 word3 word4"
    assert choice.message.refusal is None
    assert choice.message.tool_calls is None
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (8, 5, 13)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 0

    body = json.loads(raw.http_response.text)
    assert list(body) == ["id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"]
    assert list(body["choices"][0]["message"]) == ["role", "content", "refusal", "annotations"]
    assert list(body["usage"]["prompt_tokens_details"]) == ["cached_tokens", "audio_tokens"]
    assert raw.headers["content-type"] == "application/json"
    assert raw.headers["x-request-id"].startswith("req_fake")
    assert raw.headers["openai-version"] == "2020-10-01"
    assert int(raw.headers["openai-processing-ms"]) >= 1
    assert "x-ratelimit-limit-requests" not in raw.headers
    assert completion._request_id == raw.headers["x-request-id"]


async def test_async_completion(aoai: openai.AsyncOpenAI) -> None:
    completion = await aoai.chat.completions.create(model="gpt-4", messages=USER_MESSAGE, **steer("chunks=2"))
    assert completion.model == "gpt-4-0613"
    assert completion.choices[0].message.content == "word0 word1"
    assert completion.usage is not None and completion.usage.completion_tokens == 2


def test_unknown_model_is_echoed_and_service_tier_too(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="my-model", messages=USER_MESSAGE, service_tier="flex")
    assert (completion.model, completion.service_tier) == ("my-model", "flex")


def test_n_choices_and_their_usage(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, n=3, **steer("chunks=4"))
    assert [choice.index for choice in completion.choices] == [0, 1, 2]
    assert {choice.message.content for choice in completion.choices} == {"word0 word1 word2 word3"}
    assert completion.usage is not None and completion.usage.completion_tokens == 12


def test_input_tokens_count_every_message(oai: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "one two"}, {"type": "text", "text": "three"}]},
    ]
    completion = oai.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
    assert completion.usage is not None and completion.usage.prompt_tokens == (3 + 3) + (3 + 3)


def test_tool_calls(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model=MODEL,
        messages=USER_MESSAGE,
        tools=[WEATHER_TOOL],
        **steer("tool_calls=2"),  # type: ignore[list-item]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_current_weather", "get_current_weather"]  # type: ignore[union-attr]
    assert [json.loads(call.function.arguments) for call in calls] == [{"location": "word0"}] * 2  # type: ignore[union-attr]
    assert calls[0].id != calls[1].id and calls[0].id.startswith("call_fake")
    assert completion.usage is not None and completion.usage.completion_tokens == 2 * 2


def test_tool_calls_default_to_get_weather(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("tool_calls=1,chunks=2"))
    message = completion.choices[0].message
    assert message.content == "word0 word1"
    call = (message.tool_calls or [])[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"location": "Paris", "unit": "celsius"}  # type: ignore[union-attr]
    assert completion.usage is not None and completion.usage.completion_tokens == 2 + 4


def test_cached_and_reasoning_tokens(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="o3-mini", messages=USER_MESSAGE, **steer("cached=4,reasoning=3"))
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 8, 20)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 4
    assert usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 3


def test_cache_write_tokens(oai: openai.OpenAI) -> None:
    usage = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("cache_write=6")).usage
    assert usage is not None and usage.prompt_tokens == 8 + 6
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cache_write_tokens == 6


@pytest.mark.parametrize("reason", ["length", "content_filter"])
def test_forced_finish_reason(oai: openai.OpenAI, reason: str) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer(f"finish={reason}"))
    assert completion.choices[0].finish_reason == reason


def test_max_tokens_cuts_the_answer(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, max_completion_tokens=2)
    assert completion.choices[0].message.content == "word0 word1"
    assert completion.choices[0].finish_reason == "length"


def test_refusal(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, **steer("finish=refusal"))
    message = completion.choices[0].message
    assert message.content is None
    assert message.refusal == "I'm sorry, but I can't help with that."
    assert completion.choices[0].finish_reason == "stop"


def test_json_object_response_format(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model=MODEL, messages=USER_MESSAGE, response_format={"type": "json_object"}
    )
    assert json.loads(completion.choices[0].message.content or "") == {"answer": "word0 word1 word2 word3 word4"}


class Participant(pydantic.BaseModel):
    name: str
    age: int


class CalendarEvent(pydantic.BaseModel):
    name: str
    date: str
    participants: list[Participant]
    confirmed: bool
    score: float | None


def test_parse_with_a_pydantic_model(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.parse(model=MODEL, messages=USER_MESSAGE, response_format=CalendarEvent)
    event = completion.choices[0].message.parsed
    assert isinstance(event, CalendarEvent)
    assert event.participants == [Participant(name="word0", age=1)]
    assert event.confirmed is True


def test_parse_with_a_strict_pydantic_tool(oai: openai.OpenAI) -> None:
    tool = openai.pydantic_function_tool(Participant, name="add_participant")
    completion = oai.chat.completions.parse(model=MODEL, messages=USER_MESSAGE, tools=[tool], **steer("tool_calls=1"))
    call = (completion.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "add_participant"  # type: ignore[union-attr]
    assert call.function.parsed_arguments == Participant(name="word0", age=1)  # type: ignore[union-attr]


def _collect(
    stream: openai.Stream[openai.types.chat.ChatCompletionChunk],
) -> list[openai.types.chat.ChatCompletionChunk]:
    with stream:
        return list(stream)


def test_stream_without_usage(oai: openai.OpenAI, server: FakeLLMServer) -> None:
    chunks = _collect(oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True))
    assert all(chunk.usage is None and chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    first, *middle, last = chunks
    assert first.choices[0].delta.role == "assistant" and first.choices[0].delta.content == ""
    assert [chunk.choices[0].delta.content for chunk in middle] == ["word0", " word1", " word2", " word3", " word4"]
    assert last.choices[0].finish_reason == "stop" and last.choices[0].delta.content is None
    assert server.requests[-1].body["stream"] is True


def test_stream_wire_format(oai: openai.OpenAI) -> None:
    with oai.chat.completions.with_streaming_response.create(
        model=MODEL, messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}, **steer("chunks=1")
    ) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["transfer-encoding"] == "chunked"
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert list(payloads[0]) == [
        "id", "object", "created", "model", "service_tier", "system_fingerprint", "choices", "usage", "obfuscation"
    ]  # fmt: skip
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert payloads[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert payloads[-1]["choices"] == [] and payloads[-1]["usage"]["total_tokens"] == 9
    assert [payload["usage"] for payload in payloads[:-1]] == [None] * (len(payloads) - 1)


def test_stream_with_usage(oai: openai.OpenAI) -> None:
    chunks = _collect(
        oai.chat.completions.create(
            model=MODEL, messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}, **steer("cached=2")
        )
    )
    *content, final = chunks
    assert all(chunk.usage is None for chunk in content)
    assert final.choices == []
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (10, 5)
    assert final.usage.prompt_tokens_details is not None and final.usage.prompt_tokens_details.cached_tokens == 2


def test_stream_tool_call_deltas(oai: openai.OpenAI) -> None:
    chunks = _collect(
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, **steer("tool_calls=2"))
    )
    assert chunks[0].choices[0].delta.content is None
    arguments: dict[int, str] = {}
    openings = []
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            if delta.id is not None:
                openings.append((delta.index, delta.id, delta.function.name, delta.function.arguments))  # type: ignore[union-attr]
            arguments[delta.index] = arguments.get(delta.index, "") + (delta.function.arguments or "")  # type: ignore[union-attr]
    assert [(index, name, args) for index, _, name, args in openings] == [
        (0, "get_weather", ""),
        (1, "get_weather", ""),
    ]
    assert [json.loads(arguments[index])["location"] for index in (0, 1)] == ["Paris", "London"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_stream_with_several_choices(oai: openai.OpenAI) -> None:
    chunks = _collect(
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, n=2, **steer("chunks=3"))
    )
    texts: dict[int, str] = {0: "", 1: ""}
    finishes = {}
    for chunk in chunks:
        choice = chunk.choices[0]
        texts[choice.index] += choice.delta.content or ""
        if choice.finish_reason:
            finishes[choice.index] = choice.finish_reason
    assert texts == {0: "word0 word1 word2", 1: "word0 word1 word2"}
    assert finishes == {0: "stop", 1: "stop"}


def test_stream_refusal(oai: openai.OpenAI) -> None:
    chunks = _collect(
        oai.chat.completions.create(model=MODEL, messages=USER_MESSAGE, stream=True, **steer("finish=refusal"))
    )
    assert "".join(chunk.choices[0].delta.refusal or "" for chunk in chunks) == "I'm sorry, but I can't help with that."


def test_stream_helper_accumulates(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model=MODEL, messages=USER_MESSAGE, stream_options={"include_usage": True}, **steer("tool_calls=1,chunks=2")
    ) as stream:
        for _event in stream:
            pass
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "word0 word1"
    assert (message.tool_calls or [])[0].function.name == "get_weather"  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.completion_tokens == 6


async def test_async_stream(aoai: openai.AsyncOpenAI) -> None:
    stream = await aoai.chat.completions.create(
        model=MODEL, messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}, **steer("chunks=3")
    )
    text = ""
    usage = None
    async for chunk in stream:
        text += "".join(choice.delta.content or "" for choice in chunk.choices)
        usage = chunk.usage or usage
    assert text == "word0 word1 word2"
    assert usage is not None and usage.completion_tokens == 3
