"""The real OpenAI SDK against the fake server: the Responses API (create, stream, retrieve, cancel)."""

from __future__ import annotations

import json

import openai
import pydantic
import pytest
from fake_llm_support import steer

from genai_otel.testing.fake_llm import FakeLLMServer

MODEL = "gpt-4o-mini"
LOOKUP_TOOL = {
    "type": "function",
    "name": "lookup",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
        "additionalProperties": False,
    },
    "strict": True,
}
RECORDED_FIELDS = [
    "id", "object", "created_at", "status", "background", "billing", "completed_at", "error", "frequency_penalty",
    "incomplete_details", "instructions", "max_output_tokens", "max_tool_calls", "model", "output",
    "parallel_tool_calls", "presence_penalty", "previous_response_id", "prompt_cache_key", "prompt_cache_retention",
    "reasoning", "safety_identifier", "service_tier", "store", "temperature", "text", "tool_choice", "tools",
    "top_logprobs", "top_p", "truncation", "usage", "user", "metadata",
]  # fmt: skip


def test_response_matches_the_recorded_shape(oai: openai.OpenAI) -> None:
    raw = oai.responses.with_raw_response.create(model=MODEL, input="Say this is a test", instructions="Be nice.")
    response = raw.parse()
    assert list(json.loads(raw.http_response.text)) == RECORDED_FIELDS
    assert response.id.startswith("resp_fake") and response.object == "response"
    assert (response.status, response.model, response.instructions) == (
        "completed",
        "gpt-4o-mini-2024-07-18",
        "Be nice.",
    )
    assert response.output_text == "word0 word1 word2 word3 word4"
    (item,) = response.output
    assert item.type == "message" and item.status == "completed" and item.id.startswith("msg_fake")
    usage = response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == ((3 + 5) + (3 + 2), 5, 18)
    assert usage.input_tokens_details.cached_tokens == 0 and usage.output_tokens_details.reasoning_tokens == 0
    assert raw.headers["x-request-id"].startswith("req_fake")


def test_reasoning_function_calls_and_cached_tokens(oai: openai.OpenAI) -> None:
    response = oai.responses.create(
        model="o3",
        input=[{"role": "user", "content": "find it"}],
        tools=[LOOKUP_TOOL],  # type: ignore[list-item]
        **steer("reasoning=3,tool_calls=2,cached=4"),
    )
    assert response.model == "o3-2025-04-16"
    assert [item.type for item in response.output] == ["reasoning", "function_call", "function_call"]
    call = response.output[1]
    assert call.type == "function_call" and call.name == "lookup"
    assert json.loads(call.arguments) == {"query": "word0"}
    assert call.call_id.startswith("call_fake") and call.status == "completed"
    usage = response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.input_tokens_details.cached_tokens) == ((3 + 2) + 4, 4)
    assert (usage.output_tokens, usage.output_tokens_details.reasoning_tokens) == (3 + 2 * 2, 3)


def test_max_output_tokens_makes_it_incomplete(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=MODEL, input="hi", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "word0 word1"


@pytest.mark.parametrize("status", ["incomplete", "failed", "cancelled", "queued", "in_progress"])
def test_forced_status(oai: openai.OpenAI, status: str) -> None:
    response = oai.responses.create(model=MODEL, input="hi", **steer(f"response_status={status}"))
    assert response.status == status
    assert (response.error is not None) == (status == "failed")
    if status == "failed":
        assert response.error is not None and response.error.code == "server_error"
    if status != "incomplete":
        assert response.output == []


def test_background_response_advances_on_each_retrieve(oai: openai.OpenAI) -> None:
    created = oai.responses.create(model=MODEL, input="hi", background=True)
    assert (created.status, created.background, created.output) == ("queued", True, [])
    polled = [oai.responses.retrieve(created.id) for _ in range(3)]
    assert [response.status for response in polled] == ["in_progress", "completed", "completed"]
    assert polled[-1].output_text == "word0 word1 word2 word3 word4"


def test_cancel_and_unknown_ids(oai: openai.OpenAI) -> None:
    created = oai.responses.create(model=MODEL, input="hi", background=True)
    assert oai.responses.cancel(created.id).status == "cancelled"
    assert oai.responses.retrieve(created.id).status == "cancelled"
    with pytest.raises(openai.NotFoundError) as caught:
        oai.responses.retrieve("resp_missing")
    assert caught.value.code is None and "resp_missing" in caught.value.message


def test_stream_events(oai: openai.OpenAI) -> None:
    events = list(
        oai.responses.create(model=MODEL, input="hi", stream=True, **steer("chunks=2,tool_calls=1,reasoning=1"))
    )
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert [event.type for event in events] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.output_item.done",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done",
        "response.output_item.added", *["response.function_call_arguments.delta"] * 8,
        "response.function_call_arguments.done", "response.output_item.done",
        "response.completed",
    ]  # fmt: skip
    created, completed = events[0], events[-1]
    assert created.response.status == "in_progress" and created.response.usage is None  # type: ignore[union-attr]
    assert completed.response.usage is not None and completed.response.usage.output_tokens == 1 + 2 + 4  # type: ignore[union-attr]
    arguments = "".join(event.delta for event in events if event.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"location": "Paris", "unit": "celsius"}


def test_stream_wire_format(oai: openai.OpenAI) -> None:
    with oai.responses.with_streaming_response.create(
        model=MODEL, input="hi", stream=True, **steer("chunks=1")
    ) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = [line for line in response.iter_lines() if line]
    assert lines[0] == "event: response.created"
    delta = json.loads(lines[lines.index("event: response.output_text.delta") + 1].removeprefix("data: "))
    assert list(delta) == [
        "type", "content_index", "delta", "item_id", "logprobs", "obfuscation", "output_index", "sequence_number"
    ]  # fmt: skip
    completed = json.loads(lines[-1].removeprefix("data: "))
    assert completed["type"] == "response.completed" and "billing" not in completed["response"]


@pytest.mark.parametrize(
    ("status", "last_event"), [("incomplete", "response.incomplete"), ("failed", "response.failed")]
)
def test_stream_endings(oai: openai.OpenAI, status: str, last_event: str) -> None:
    events = list(oai.responses.create(model=MODEL, input="hi", stream=True, **steer(f"response_status={status}")))
    assert events[-1].type == last_event
    assert events[-1].response.status == status  # type: ignore[union-attr]


def test_broken_stream(oai: openai.OpenAI) -> None:
    deltas = []
    with pytest.raises(openai.APIConnectionError):
        for event in oai.responses.create(model=MODEL, input="hi", stream=True, **steer("break_after=2")):
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
    assert deltas == ["word0", " word1"]


def test_retrieve_replays_the_stream(oai: openai.OpenAI) -> None:
    created = oai.responses.create(model=MODEL, input="hi", **steer("chunks=2"))
    events = list(oai.responses.retrieve(created.id, stream=True, starting_after=3))
    assert events[0].sequence_number == 4 and events[0].type == "response.output_text.delta"
    assert events[-1].type == "response.completed"


class Forecast(pydantic.BaseModel):
    city: str
    celsius: float
    rain: bool


def test_parse_and_stream_helper_with_a_pydantic_model(oai: openai.OpenAI) -> None:
    parsed = oai.responses.parse(model=MODEL, input="hi", text_format=Forecast)
    assert parsed.output_parsed == Forecast(city="word0", celsius=1.5, rain=True)
    with oai.responses.stream(model=MODEL, input="hi", text_format=Forecast) as stream:
        for _event in stream:
            pass
        final = stream.get_final_response()
    assert final.output_parsed == Forecast(city="word0", celsius=1.5, rain=True)


async def test_async_create_and_stream(server: FakeLLMServer, aoai: openai.AsyncOpenAI) -> None:
    response = await aoai.responses.create(model=MODEL, input="hi", **steer("chunks=1"))
    assert response.output_text == "word0"
    text = ""
    async with aoai.responses.stream(model=MODEL, input="hi", **steer("chunks=3")) as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                text += event.delta
    assert text == "word0 word1 word2"
    assert server.requests[-1].body["stream"] is True
