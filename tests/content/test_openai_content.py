"""Content capture for OpenAI: each mode x chat / stream / tools / multimodal / Responses / legacy completions.

Every captured piece is compared to its exact expected value and validated against the conventions' JSON schemas,
on the span (a JSON string) and in the event (structured).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.trace import format_span_id, format_trace_id

from tests.content.conftest import (
    CONTENT_ATTRIBUTES,
    EVENT,
    MODES,
    capturing,
    content_of,
    directives,
    events,
    only_event,
)
from tests.content.schemas import validate

MODEL = "gpt-4o-mini"
TEXT = "word0 word1 word2 word3 word4"
PNG = bytes(range(256)) * 4  # 1024 bytes
PNG_B64 = base64.b64encode(PNG).decode()
WAV_B64 = base64.b64encode(b"RIFF" + bytes(96)).decode()  # 100 bytes
PDF_B64 = base64.b64encode(b"%PDF-1.4\n" + bytes(291)).decode()  # 300 bytes

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
WEATHER_DEFINITION = {"type": "function", "name": "get_weather", "description": "Weather in a city",
                      "parameters": WEATHER_TOOL["function"]["parameters"]}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"type": "text", "content": text}]}


def assistant_text(text: str, finish: str = "stop") -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": finish}


# --- scenarios: each makes one call and returns the content it must have captured ---


def chat(client: openai.OpenAI) -> dict[str, Any]:
    client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say hello"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": [{"type": "text", "text": "Again, "}, {"type": "text", "text": "louder"}]},
    ])
    return {
        "gen_ai.input.messages": [
            {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
            user("Say hello"),
            {"role": "assistant", "parts": [{"type": "text", "content": "Hello."}]},
            {"role": "user", "parts": [{"type": "text", "content": "Again, "}, {"type": "text", "content": "louder"}]},
        ],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


def chat_stream(client: openai.OpenAI) -> dict[str, Any]:
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Count"}],
                                            stream=True, n=2, **directives(chunks=3))
    for _ in stream:
        pass
    return {"gen_ai.input.messages": [user("Count")],
            "gen_ai.output.messages": [assistant_text("word0 word1 word2")] * 2}


def tools(client: openai.OpenAI) -> dict[str, Any]:
    completion = client.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "Weather in Paris and Tokyo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"location":"Oslo"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "-3 C"},
    ], **directives(tool_calls=2))
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    return {
        "gen_ai.input.messages": [
            user("Weather in Paris and Tokyo?"),
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"location": "Oslo"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "-3 C"}]},
        ],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": calls[0].id, "name": "get_weather", "arguments": {"location": "word0"}},
            {"type": "tool_call", "id": calls[1].id, "name": "get_weather", "arguments": {"location": "word0"}},
        ], "finish_reason": "tool_call"}],
    }


def tools_stream(client: openai.OpenAI) -> dict[str, Any]:
    ids = []
    for chunk in client.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL], stream=True,
                                                messages=[{"role": "user", "content": "Weather?"}],
                                                **directives(tool_calls=2)):
        for choice in chunk.choices:
            ids += [call.id for call in choice.delta.tool_calls or () if call.id]
    return {
        "gen_ai.input.messages": [user("Weather?")],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": ids[0], "name": "get_weather", "arguments": {"location": "word0"}},
            {"type": "tool_call", "id": ids[1], "name": "get_weather", "arguments": {"location": "word0"}},
        ], "finish_reason": "tool_call"}],
    }


def multimodal(client: openai.OpenAI) -> dict[str, Any]:
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-abc123"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "a.pdf"}},
    ]}])
    return {
        "gen_ai.input.messages": [{"role": "user", "parts": [
            {"type": "text", "content": "What is in these?"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "", "byte_size": 1024,
             "content_omitted": True},
            {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
            {"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": "", "byte_size": 100,
             "content_omitted": True},
            {"type": "file", "modality": "document", "file_id": "file-abc123"},
            {"type": "blob", "modality": "document", "mime_type": "application/pdf", "content": "", "byte_size": 300,
             "content_omitted": True},
        ]}],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


RECORDER_PREFIXES = ("gen_ai.", "server.", "error.", "openai.", "genai_otel.prompt.", "genai_otel.cost.",
                    "genai_otel.stream.", "genai_otel.usage.")

RESPONSES_TOOL = {"type": "function", "name": "get_weather", "description": "Weather in a city",
                  "parameters": WEATHER_TOOL["function"]["parameters"], "strict": True}


def responses(client: openai.OpenAI) -> dict[str, Any]:
    client.responses.create(model=MODEL, instructions="Answer in French.", tools=[RESPONSES_TOOL], input=[
        {"role": "user", "content": "Weather in Oslo?"},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Need the tool."}]},
        {"type": "function_call", "call_id": "call_9", "name": "get_weather", "arguments": '{"location":"Oslo"}'},
        {"type": "function_call_output", "call_id": "call_9", "output": "-3 C"},
        {"role": "user", "content": [{"type": "input_text", "text": "And this?"},
                                     {"type": "input_image", "image_url": "https://example.com/a.png"}]},
    ])
    return {
        "gen_ai.system_instructions": [{"type": "text", "content": "Answer in French."}],
        "gen_ai.input.messages": [
            user("Weather in Oslo?"),
            {"role": "assistant", "parts": [{"type": "reasoning", "content": "Need the tool."}]},
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "call_9", "name": "get_weather", "arguments": {"location": "Oslo"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_9", "response": "-3 C"}]},
            {"role": "user", "parts": [{"type": "text", "content": "And this?"},
                                       {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"}]},
        ],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


def responses_multimodal(client: openai.OpenAI) -> dict[str, Any]:
    client.responses.create(model=MODEL, input=[{"role": "user", "content": [
        {"type": "input_text", "text": "Compare these."},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"},
        {"type": "input_image", "file_id": "file-img1", "detail": "low"},
        {"type": "input_file", "file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "a.pdf"},
        {"type": "input_file", "file_url": "https://example.com/report.pdf"},
        {"type": "input_file", "file_id": "file-doc2"},
    ]}])
    return {
        "gen_ai.input.messages": [{"role": "user", "parts": [
            {"type": "text", "content": "Compare these."},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "", "byte_size": 1024,
             "content_omitted": True},
            {"type": "file", "modality": "image", "file_id": "file-img1"},
            {"type": "blob", "modality": "document", "mime_type": "application/pdf", "content": "", "byte_size": 300,
             "content_omitted": True},
            {"type": "uri", "modality": "document", "uri": "https://example.com/report.pdf"},
            {"type": "file", "modality": "document", "file_id": "file-doc2"},
        ]}],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


def responses_stream(client: openai.OpenAI) -> dict[str, Any]:
    call_ids = []
    with client.responses.stream(model=MODEL, input="Weather?", tools=[RESPONSES_TOOL],
                                 **directives(tool_calls=1)) as stream:
        for event in stream:
            if event.type == "response.output_item.added" and event.item.type == "function_call":
                call_ids.append(event.item.call_id)
    return {
        "gen_ai.input.messages": [user("Weather?")],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": call_ids[0], "name": "get_weather", "arguments": {"location": "word0"}}],
            "finish_reason": "tool_call"}],
    }


def completion(client: openai.OpenAI) -> dict[str, Any]:
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this is a test")
    return {"gen_ai.input.messages": [user("Say this is a test")], "gen_ai.output.messages": [assistant_text(TEXT)]}


def completion_stream(client: openai.OpenAI) -> dict[str, Any]:
    for _ in client.completions.create(model="gpt-3.5-turbo-instruct", prompt=["One", "Two"], stream=True,
                                       **directives(chunks=2)):
        pass
    return {"gen_ai.input.messages": [user("One"), user("Two")],
            "gen_ai.output.messages": [assistant_text("word0 word1")] * 2}  # a choice per prompt


SCENARIOS: dict[str, Callable[[openai.OpenAI], dict[str, Any]]] = {
    "chat": chat, "chat_stream": chat_stream, "tools": tools, "tools_stream": tools_stream,
    "multimodal": multimodal, "responses": responses, "responses_multimodal": responses_multimodal,
    "responses_stream": responses_stream,
    "completion": completion, "completion_stream": completion_stream,
}


def check_span(span: Any, expected: dict[str, Any]) -> None:
    attributes = dict(span.attributes)
    found = content_of(attributes)
    assert set(found) == set(expected)
    for name, value in found.items():
        assert isinstance(value, str)
        assert json.loads(value) == expected[name], name
        assert validate(name, value) == expected[name]
        assert value == json.dumps(expected[name], ensure_ascii=False, separators=(",", ":"))  # compact JSON


def check_event(record: Any, span: Any, expected: dict[str, Any]) -> None:
    log = record.log_record
    assert log.event_name == EVENT
    assert (log.trace_id, log.span_id) == (span.context.trace_id, span.context.span_id)
    attributes = dict(log.attributes)
    for name, value in content_of(attributes).items():
        assert not isinstance(value, str), name  # structured, not a JSON string
        assert validate(name, value) == expected[name], name
    assert set(content_of(attributes)) == set(expected)
    # The span's attributes as the recorder sets them (extensions that add theirs later, such as HTTP attempts,
    # are not part of the event).
    span_attributes = {k: v for k, v in span.attributes.items()
                       if k not in CONTENT_ATTRIBUTES and k.startswith(RECORDER_PREFIXES)}
    assert {k: attributes.get(k) for k in span_attributes} == span_attributes
    assert {"gen_ai.operation.name", "gen_ai.provider.name", "server.address", "genai_otel.prompt.hash"} <= set(
        span_attributes)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_modes(mode: str, scenario: str, client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing(mode):
        expected = SCENARIOS[scenario](client)
    span = telemetry.only_span()
    assert len(span.attributes["genai_otel.prompt.hash"]) == 32  # in every mode
    if mode in ("SPAN_ONLY", "SPAN_AND_EVENT"):
        check_span(span, expected)
    else:
        assert content_of(span.attributes) == {}
    if mode in ("EVENT_ONLY", "SPAN_AND_EVENT"):
        check_event(only_event(), span, expected)
    else:
        assert events() == []


def test_default_is_no_content(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing(None):
        expected = tools(client)
    span = telemetry.only_span()
    assert content_of(span.attributes) == {}
    assert events() == []
    assert "get_weather" not in str(dict(span.attributes))
    assert expected  # the call itself went through unchanged


async def test_async_chat_and_stream(aclient: openai.AsyncOpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("SPAN_AND_EVENT"):
        await aclient.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
        stream = await aclient.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}],
                                                       stream=True, **directives(chunks=2))
        async for _ in stream:
            pass
    plain, streamed = telemetry.genai_spans()
    check_span(plain, {"gen_ai.input.messages": [user("Hi")], "gen_ai.output.messages": [assistant_text(TEXT)]})
    check_span(streamed, {"gen_ai.input.messages": [user("Hi")],
                          "gen_ai.output.messages": [assistant_text("word0 word1")]})
    assert len(events()) == 2


def test_event_for_a_failed_call(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("EVENT_ONLY"), pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}],
                                       **directives(status=429))
    span = telemetry.only_span()
    record = only_event()
    check_event(record, span, {"gen_ai.input.messages": [user("Hi")]})
    assert record.log_record.attributes["error.type"] == "openai.RateLimitError"


def test_stream_cut_short_keeps_what_arrived(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("SPAN_ONLY"), pytest.raises(Exception):  # noqa: B017,PT011 - the SDK's transport error
        for _ in client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}],
                                                stream=True, **directives(chunks=5, break_after=2)):
            pass
    check_span(telemetry.only_span(), {"gen_ai.input.messages": [user("Hi")],
                                       "gen_ai.output.messages": [assistant_text("word0 word1", "error")]})


def test_stream_closed_early_has_no_finish_reason(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("SPAN_ONLY"):
        stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}],
                                                stream=True, **directives(chunks=5))
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content == " word1":
                break
        stream.close()
    check_span(telemetry.only_span(), {"gen_ai.input.messages": [user("Hi")],
                                       "gen_ai.output.messages": [assistant_text("word0 word1", "")]})


@pytest.mark.parametrize("mode", ["EVENT_ONLY", "SPAN_AND_EVENT"])
def test_event_when_the_span_is_not_sampled(mode: str, client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    """A parent that was not sampled (as a remote caller decided): the call's span is not recorded, its event is, and
    carries the trace id of the parent and the span id of the call's own (non-recording) span."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    parent = SpanContext(trace_id=0x0AF7651916CD43DD8448EB211C80319C, span_id=0xB7AD6B7169203331, is_remote=True,
                         trace_flags=TraceFlags(TraceFlags.DEFAULT))
    unsampled = TracerProvider(sampler=ParentBased(ALWAYS_ON))
    with capturing(mode, tracer_provider=unsampled), trace.use_span(NonRecordingSpan(parent)):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert telemetry.genai_spans() == []
    log = only_event().log_record
    assert log.trace_id == parent.trace_id  # correlated to the trace the call ran in
    assert log.span_id not in (0, parent.span_id)  # ... and to the call's own span, not its parent
    assert not TraceFlags(log.trace_flags).sampled
    assert format_trace_id(log.trace_id) == "0af7651916cd43dd8448eb211c80319c"
    assert len(format_span_id(log.span_id)) == 16
    assert validate("gen_ai.input.messages", log.attributes["gen_ai.input.messages"]) == [user("Hi")]
    assert validate("gen_ai.output.messages", log.attributes["gen_ai.output.messages"]) == [assistant_text(TEXT)]
    assert log.attributes["gen_ai.operation.name"] == "chat"
    assert log.attributes["gen_ai.usage.output_tokens"] == 5
    assert len(log.attributes["genai_otel.prompt.hash"]) == 32


def test_event_exported_as_otlp_structured_values(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    """The event survives OTLP encoding: the content stays structured (kvlist / array), not a string."""
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs

    with capturing("EVENT_ONLY"):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    request = encode_logs([only_event()])
    [record] = request.resource_logs[0].scope_logs[0].log_records
    assert record.event_name == EVENT
    values = {kv.key: kv.value for kv in record.attributes}
    messages = values["gen_ai.output.messages"]
    assert messages.WhichOneof("value") == "array_value"
    first = {kv.key: kv.value for kv in messages.array_value.values[0].kvlist_value.values}
    assert first["finish_reason"].string_value == "stop"
    assert record.span_id == telemetry.only_span().context.span_id.to_bytes(8, "big")


PII = f"mail bob@example.com, card 4111 1111 1111 1111, key {'sk-' + 'a' * 30}"
PII_REDACTED = "mail <EMAIL>, card <CREDIT_CARD>, key <OPENAI_API_KEY>"
# Redaction, a small size budget and binary parts all change the captured copy; none may change the request.
CHANGES_THE_COPY = {"GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES": "600"}
PII_TOOL = {"type": "function", "function": {"name": "notify", "description": f"Notify {PII}", "parameters": {
    "type": "object", "properties": {"to": {"type": "string", "enum": ["bob@example.com"]}}}}}


def _chat_request() -> dict[str, Any]:
    return {"model": MODEL, "tools": [PII_TOOL], "messages": [
        {"role": "system", "content": PII},
        {"role": "user", "content": [{"type": "text", "text": PII + " " + "x" * 2000},
                                     {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]},
    ]}


def _responses_request() -> dict[str, Any]:
    return {"model": MODEL, "instructions": PII, "tools": [{"type": "function", "name": "notify",
                                                            "description": PII, "parameters": {}}],
            "input": [{"role": "user", "content": [
                {"type": "input_text", "text": PII + " " + "x" * 2000},
                {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"}]}]}


@pytest.mark.parametrize(("surface", "stream"), [("chat", False), ("chat", True), ("responses", False),
                                                 ("responses", True)])
def test_captured_copy_never_changes_what_was_sent(surface: str, stream: bool, client: openai.OpenAI, server: Any,
                                                   telemetry: Any, logs: Any) -> None:
    request = _chat_request() if surface == "chat" else _responses_request()
    before = json.dumps(request)
    with capturing("SPAN_AND_EVENT", env=CHANGES_THE_COPY):
        create = client.chat.completions.create if surface == "chat" else client.responses.create
        result = create(**request, stream=True) if stream else create(**request)
        if stream:
            for _ in result:
                pass
    assert json.dumps(request) == before  # the caller's objects are untouched
    sent = server.requests[-1].body
    assert {key: sent[key] for key in request} == request  # the provider got the original, whole
    assert sent.get("stream", False) is stream
    attributes = telemetry.only_span().attributes
    captured = json.dumps([validate(name, attributes[name]) for name in
                           ("gen_ai.input.messages", "gen_ai.tool.definitions")])
    assert "bob@example.com" not in captured and "sk-aaaa" not in captured and PNG_B64[:40] not in captured
    assert '"truncated": true' in captured and '"content_omitted": true' in captured
    assert PII_REDACTED in captured
    event = only_event().log_record.attributes
    assert validate("gen_ai.input.messages", event["gen_ai.input.messages"])  # the event's copy, as redacted
    assert "bob@example.com" not in repr(event)


def test_bad_mode_warns_once_and_captures_nothing(client: openai.OpenAI, telemetry: Any, logs: Any,
                                                  caplog: Any) -> None:
    with capturing("EVERYTHING"):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    warnings = [r.getMessage() for r in caplog.records if "OTEL_INSTRUMENTATION_GENAI_CAPTURE" in r.getMessage()]
    assert len(warnings) == 1
    assert "'EVERYTHING'" in warnings[0]
    for span in telemetry.genai_spans():
        assert content_of(span.attributes) == {}
    assert events() == []
