"""Content capture for Anthropic Messages: each mode x plain / stream / tools / multimodal / thinking / helper.

``system=`` is captured as ``gen_ai.system_instructions``; every piece is compared to its exact expected value and
validated against the conventions' JSON schemas, on the span and in the event.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.content.conftest import MODES, capturing, content_of, directives, events, only_event
from tests.content.schemas import validate
from tests.content.test_openai_content import assistant_text, check_event, check_span, user

MODEL = "claude-haiku-4-5"
TEXT = "word0 word1 word2 word3 word4"
THOUGHTS = "thought0 thought1 thought2 thought3 thought4 thought5 thought6 thought7"
PDF_B64 = base64.b64encode(b"%PDF-1.4\n" + bytes(491)).decode()  # 500 bytes
PNG_B64 = base64.b64encode(bytes(2048)).decode()
WEATHER = {"name": "get_weather", "description": "Weather in a city",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}
WEATHER_DEFINITION = {"type": "function", "name": "get_weather", "description": "Weather in a city",
                      "parameters": WEATHER["input_schema"]}


def plain(claude: Any) -> dict[str, Any]:
    claude.messages.create(model=MODEL, max_tokens=100, system="You are terse.", messages=[
        {"role": "user", "content": "Say hello"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
        {"role": "user", "content": "Again"},
    ])
    return {
        "gen_ai.system_instructions": [{"type": "text", "content": "You are terse."}],
        "gen_ai.input.messages": [user("Say hello"), {"role": "assistant", "parts": [
            {"type": "text", "content": "Hello."}]}, user("Again")],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


def stream(claude: Any) -> dict[str, Any]:
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    for _ in claude.messages.create(model=MODEL, max_tokens=100, stream=True, system=system,
                                    messages=[{"role": "user", "content": "Count"}], **directives(chunks=3)):
        pass
    return {"gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
            "gen_ai.input.messages": [user("Count")],
            "gen_ai.output.messages": [assistant_text("word0 word1 word2")]}


def tools(claude: Any) -> dict[str, Any]:
    message = claude.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER], messages=[
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "Oslo"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "-3 C"}]},
    ], **directives(tool_calls=1))
    return {
        "gen_ai.input.messages": [
            user("Weather in Oslo?"),
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"location": "Oslo"}}]},
            {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_1", "response": "-3 C"}]},
        ],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": message.content[0].id, "name": "get_weather",
             "arguments": {"location": "word0"}}], "finish_reason": "tool_call"}],
    }


def tools_stream(claude: Any) -> dict[str, Any]:
    ids = []
    for event in claude.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER], stream=True,
                                        messages=[{"role": "user", "content": "Weather?"}],
                                        **directives(tool_calls=2)):
        if event.type == "content_block_start":
            ids.append(event.content_block.id)
    return {
        "gen_ai.input.messages": [user("Weather?")],
        "gen_ai.tool.definitions": [WEATHER_DEFINITION],
        "gen_ai.output.messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "id": ids[0], "name": "get_weather", "arguments": {"location": "word0"}},
            {"type": "tool_call", "id": ids[1], "name": "get_weather", "arguments": {"location": "word0"}},
        ], "finish_reason": "tool_call"}],
    }


def multimodal(claude: Any) -> dict[str, Any]:
    claude.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes."}},
        {"type": "text", "text": "Describe them."},
    ]}])
    return {
        "gen_ai.input.messages": [{"role": "user", "parts": [
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "", "byte_size": 2048,
             "content_omitted": True},
            {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
            {"type": "blob", "modality": "document", "mime_type": "application/pdf", "content": "", "byte_size": 500,
             "content_omitted": True},
            {"type": "text", "content": "Plain notes."},
            {"type": "text", "content": "Describe them."},
        ]}],
        "gen_ai.output.messages": [assistant_text(TEXT)],
    }


def thinking(claude: Any) -> dict[str, Any]:
    claude.messages.create(model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
                           messages=[{"role": "user", "content": "Think"}])
    return {"gen_ai.input.messages": [user("Think")],
            "gen_ai.output.messages": [{"role": "assistant", "parts": [
                {"type": "reasoning", "content": THOUGHTS}, {"type": "text", "content": TEXT}],
                "finish_reason": "stop"}]}


def thinking_stream(claude: Any) -> dict[str, Any]:
    with claude.messages.stream(model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
                                messages=[{"role": "user", "content": "Think"}], **directives(chunks=2)) as helper:
        assert "".join(helper.text_stream) == "word0 word1"
    return {"gen_ai.input.messages": [user("Think")],
            "gen_ai.output.messages": [{"role": "assistant", "parts": [
                {"type": "reasoning", "content": THOUGHTS}, {"type": "text", "content": "word0 word1"}],
                "finish_reason": "stop"}]}


SCENARIOS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "plain": plain, "stream": stream, "tools": tools, "tools_stream": tools_stream, "multimodal": multimodal,
    "thinking": thinking, "thinking_stream": thinking_stream,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_modes(mode: str, scenario: str, claude: Any, telemetry: Any, logs: Any) -> None:
    with capturing(mode):
        expected = SCENARIOS[scenario](claude)
    span = telemetry.only_span()
    assert len(span.attributes["genai_otel.prompt.hash"]) == 32
    if mode in ("SPAN_ONLY", "SPAN_AND_EVENT"):
        check_span(span, expected)
    else:
        assert content_of(span.attributes) == {}
    if mode in ("EVENT_ONLY", "SPAN_AND_EVENT"):
        check_event(only_event(), span, expected)
    else:
        assert events() == []


async def test_async_stream(aclaude: Any, telemetry: Any, logs: Any) -> None:
    with capturing("SPAN_AND_EVENT"):
        stream = await aclaude.messages.create(model=MODEL, max_tokens=100, stream=True, system="Sys",
                                               messages=[{"role": "user", "content": "Hi"}], **directives(chunks=2))
        async for _ in stream:
            pass
    expected = {"gen_ai.system_instructions": [{"type": "text", "content": "Sys"}],
                "gen_ai.input.messages": [user("Hi")], "gen_ai.output.messages": [assistant_text("word0 word1")]}
    span = telemetry.only_span()
    check_span(span, expected)
    check_event(only_event(), span, expected)


def test_anthropic_key_never_captured(claude: Any, telemetry: Any, logs: Any) -> None:
    from tests.conftest import FAKE_ANTHROPIC_KEY

    with capturing("SPAN_AND_EVENT", env={"GENAI_OTEL_REDACT": "email"}):
        claude.messages.create(model=MODEL, max_tokens=100, system=f"key {FAKE_ANTHROPIC_KEY}",
                               messages=[{"role": "user", "content": f"{FAKE_ANTHROPIC_KEY} bob@example.com"}])
    attributes = telemetry.only_span().attributes
    assert content_of(attributes)["gen_ai.system_instructions"] == '[{"type":"text","content":"key <SECRET>"}]'
    assert content_of(attributes)["gen_ai.input.messages"] == (
        '[{"role":"user","parts":[{"type":"text","content":"<SECRET> <EMAIL>"}]}]')


def test_secret_split_across_input_json_deltas(claude: Any, telemetry: Any, logs: Any) -> None:
    """The fake server streams tool input in 5-character ``input_json_delta`` fragments: the key arrives in pieces."""
    from tests.content.test_redaction import SECRET

    tool = {"name": "store", "description": "Keep a credential", "input_schema": {
        "type": "object", "properties": {"token": {"type": "string", "enum": [SECRET]}}}}
    fragments = []
    with capturing("SPAN_AND_EVENT"):
        for event in claude.messages.create(model=MODEL, max_tokens=100, tools=[tool], stream=True,
                                            messages=[{"role": "user", "content": "Store it"}],
                                            **directives(tool_calls=1)):
            if event.type == "content_block_delta":
                fragments.append(event.delta.partial_json)
    assert not any(SECRET in fragment for fragment in fragments) and SECRET in "".join(fragments)
    attributes = telemetry.only_span().attributes
    [output] = json.loads(attributes["gen_ai.output.messages"])
    assert output["parts"][0]["arguments"] == {"token": "<OPENAI_API_KEY>"}
    assert SECRET not in str(dict(attributes)) + str(dict(only_event().log_record.attributes))


@pytest.mark.parametrize("how", ["create", "stream", "helper"])
def test_captured_copy_never_changes_what_was_sent(how: str, claude: Any, server: Any, telemetry: Any,
                                                   logs: Any) -> None:
    from tests.content.test_openai_content import CHANGES_THE_COPY, PII, PII_REDACTED

    request: dict[str, Any] = {
        "model": MODEL, "max_tokens": 100, "system": [{"type": "text", "text": PII}],
        "tools": [{"name": "notify", "description": PII, "input_schema": {"type": "object", "properties": {}}}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": PII + " " + "x" * 2000},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}]}],
    }
    before = json.dumps(request)
    with capturing("SPAN_AND_EVENT", env=CHANGES_THE_COPY):
        if how == "create":
            claude.messages.create(**request)
        elif how == "stream":
            for _ in claude.messages.create(**request, stream=True):
                pass
        else:
            with claude.messages.stream(**request) as helper:
                helper.until_done()
    assert json.dumps(request) == before
    sent = server.requests[-1].body
    assert {key: sent[key] for key in request} == request  # the provider got the original, whole
    attributes = telemetry.only_span().attributes
    captured = json.dumps([validate(name, attributes[name]) for name in
                           ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.tool.definitions")])
    assert "bob@example.com" not in captured and "sk-aaaa" not in captured and PNG_B64[:40] not in captured
    assert '"truncated": true' in captured and '"content_omitted": true' in captured
    assert PII_REDACTED in captured
    assert "bob@example.com" not in repr(dict(only_event().log_record.attributes))


def test_pattern_across_text_chunks(claude: Any, telemetry: Any, logs: Any) -> None:
    """``word1`` and `` word2`` arrive in different ``text_delta`` events; a pattern spanning both still matches."""
    with capturing("SPAN_AND_EVENT", env={"GENAI_OTEL_REDACT_PATTERNS": '{"PAIR": "word1 word2"}'}):
        deltas = [event.delta.text for event in claude.messages.create(
            model=MODEL, max_tokens=100, stream=True, messages=[{"role": "user", "content": "Hi"}],
            **directives(chunks=4)) if event.type == "content_block_delta"]
    assert not any("word1 word2" in delta for delta in deltas) and "word1 word2" in "".join(deltas)
    expected = [{"role": "assistant", "parts": [{"type": "text", "content": "word0 <PAIR> word3"}],
                 "finish_reason": "stop"}]
    assert validate("gen_ai.output.messages", telemetry.only_span().attributes["gen_ai.output.messages"]) == expected
    assert validate("gen_ai.output.messages", only_event().log_record.attributes["gen_ai.output.messages"]) == expected
