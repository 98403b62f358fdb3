"""The real Anthropic SDK against the fake server: ``/v1/messages``, JSON and SSE."""

from __future__ import annotations

import json

import anthropic
import pydantic
import pytest
from fake_llm_support import USER_MESSAGE, steer

from genai_otel.testing.fake_llm import FakeLLMServer

MODEL = "claude-haiku-4-5"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get weather by city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_message_matches_the_recorded_shape(claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=USER_MESSAGE)
    message = raw.parse()
    assert message.id.startswith("msg_fake") and message.type == "message" and message.role == "assistant"
    assert message.model == "claude-haiku-4-5-20251001"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "word0 word1 word2 word3 word4"  # type: ignore[union-attr]
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (8, 5)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (0, 0)
    assert usage.service_tier == "standard"
    body = json.loads(raw.http_response.text)
    assert list(body) == [
        "model", "id", "type", "role", "content", "stop_reason", "stop_sequence", "stop_details", "usage"
    ]  # fmt: skip
    assert list(body["usage"]) == [
        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation",
        "output_tokens", "service_tier", "inference_geo",
    ]  # fmt: skip
    assert raw.http_response.text.startswith('{"model":')  # compact, as the API sends it
    assert raw.headers["request-id"] == message._request_id
    assert message._request_id is not None and message._request_id.startswith("req_fake")


async def test_async_message_and_system_prompt(aclaude: anthropic.AsyncAnthropic) -> None:
    message = await aclaude.messages.create(
        model="claude-opus-4-7", max_tokens=100, system="Be brief.", messages=USER_MESSAGE, **steer("chunks=2")
    )
    assert message.model == "claude-opus-4-7"
    assert message.usage.input_tokens == (3 + 2) + (3 + 5)
    assert message.content[0].text == "word0 word1"  # type: ignore[union-attr]


def test_beta_path(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    message = claude.beta.messages.create(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, extra_query={"beta": "true"}
    )  # SDK 2.12 no longer adds ?beta=true itself; older ones did
    assert message.content[0].text.startswith("word0")  # type: ignore[union-attr]
    assert (server.requests[-1].path, server.requests[-1].query) == ("/v1/messages", {"beta": "true"})


def test_cache_tokens(claude: anthropic.Anthropic) -> None:
    usage = claude.messages.create(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("cached=100,cache_write=20")
    ).usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (8, 100, 20)
    assert usage.cache_creation is not None and usage.cache_creation.ephemeral_5m_input_tokens == 20


def test_tool_use(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=USER_MESSAGE,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        **steer("tool_calls=2"),
    )
    assert message.stop_reason == "tool_use"
    assert [block.type for block in message.content] == ["tool_use", "tool_use"]
    first = message.content[0]
    assert first.name == "get_weather" and first.input == {"city": "word0"}  # type: ignore[union-attr]
    assert first.id.startswith("toolu_fake")  # type: ignore[union-attr]
    assert message.usage.output_tokens == 2 * 2


def test_thinking(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model=MODEL,
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=USER_MESSAGE,
    )
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking == " ".join(f"thought{i}" for i in range(8))
    assert thinking.signature
    assert text.type == "text"
    assert message.usage.output_tokens == 8 + 5


@pytest.mark.parametrize("reason", ["max_tokens", "stop_sequence", "refusal", "pause_turn"])
def test_forced_stop_reasons(claude: anthropic.Anthropic, reason: str) -> None:
    message = claude.messages.create(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, stop_sequences=["END"], **steer(f"finish={reason}")
    )
    assert message.stop_reason == reason
    assert message.stop_sequence == ("END" if reason == "stop_sequence" else None)
    assert (message.stop_details is not None) == (reason == "refusal")


def test_max_tokens_cuts_the_answer(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=MODEL, max_tokens=3, messages=USER_MESSAGE)
    assert message.stop_reason == "max_tokens"
    assert message.content[0].text == "word0 word1 word2"  # type: ignore[union-attr]


class Greeting(pydantic.BaseModel):
    greeting: str
    repeat: int


def test_parse_structured_output(claude: anthropic.Anthropic) -> None:
    message = claude.messages.parse(model=MODEL, max_tokens=100, messages=USER_MESSAGE, output_format=Greeting)
    assert message.parsed_output == Greeting(greeting="word0", repeat=1)


def test_stream_wire_format(claude: anthropic.Anthropic) -> None:
    with claude.messages.with_streaming_response.create(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, stream=True, **steer("chunks=2,cached=3")
    ) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        lines = [line for line in response.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines[::2]]
    assert names == [
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    payloads = [json.loads(line.removeprefix("data: ")) for line in lines[1::2]]
    start = payloads[0]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["output_tokens"] == 1 and start["usage"]["cache_read_input_tokens"] == 3
    assert payloads[2] == {"type": "ping"}
    assert payloads[3]["delta"] == {"type": "text_delta", "text": "word0"}
    assert payloads[6] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {
            "input_tokens": 8,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 3,
            "output_tokens": 2,
        },
    }


def test_stream_events(claude: anthropic.Anthropic) -> None:
    stream = claude.messages.create(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, stream=True, **steer("tool_calls=1,reasoning=2,chunks=1")
    )
    events = list(stream)
    assert events[0].type == "message_start" and events[-1].type == "message_stop"
    starts = [event.content_block.type for event in events if event.type == "content_block_start"]
    assert starts == ["thinking", "text", "tool_use"]
    deltas = [event.delta.type for event in events if event.type == "content_block_delta"]
    assert deltas[:3] == ["thinking_delta", "thinking_delta", "signature_delta"]
    assert deltas[3] == "text_delta" and set(deltas[4:]) == {"input_json_delta"}
    partial = "".join(
        event.delta.partial_json  # type: ignore[union-attr]
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "input_json_delta"
    )
    assert json.loads(partial) == {"location": "Paris", "unit": "celsius"}
    final = next(event for event in events if event.type == "message_delta")
    assert final.delta.stop_reason == "tool_use" and final.usage.output_tokens == 2 + 1 + 4  # type: ignore[union-attr]


def test_stream_helper_accumulates(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model=MODEL,
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=USER_MESSAGE,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        **steer("tool_calls=1,cached=5"),
    ) as stream:
        assert "".join(stream.text_stream) == ""
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "tool_use"]
    assert final.content[1].input == {"city": "word0"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.cache_read_input_tokens) == (8, 8 + 2, 5)


async def test_async_stream_helper(aclaude: anthropic.AsyncAnthropic) -> None:
    async with aclaude.messages.stream(
        model=MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("chunks=3")
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "word0 word1 word2"
    assert final.usage.output_tokens == 3
