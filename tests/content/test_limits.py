"""Size limits and binary parts: content over budget is cut so the JSON stays valid, schema-valid and marked."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_otel.genai.content import dumps, fit
from tests.content.conftest import capturing, directives, only_event
from tests.content.schemas import validate

MODEL = "gpt-4o-mini"
TRUNCATED = "genai_otel.content.truncated"


def size(value: Any) -> int:
    return len(dumps(value).encode())


def text_message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def test_fit_cuts_the_longest_strings_first() -> None:
    messages = [text_message("system", "short"), text_message("user", "x" * 1000), text_message("user", "y" * 300)]
    fitted, truncated = fit(messages, 600)
    assert truncated
    assert size(fitted) <= 600
    cap = len(fitted[1]["parts"][0]["content"])
    assert fitted[0] == text_message("system", "short")  # short enough: untouched, unmarked
    assert fitted[1]["parts"][0] == {"type": "text", "content": "x" * cap, "truncated": True}
    assert fitted[2]["parts"][0] == {"type": "text", "content": "y" * cap, "truncated": True}
    assert size(fit(messages, 600 + 40)[0]) > size(fitted)  # the largest cap that fits was chosen
    assert messages[1]["parts"][0]["content"] == "x" * 1000  # the input is not changed


def test_fit_leaves_content_under_budget_alone() -> None:
    messages = [text_message("user", "hello")]
    assert fit(messages, 1000) == (messages, False)


def test_fit_drops_the_oldest_input_messages_when_the_structure_alone_is_too_big() -> None:
    messages = [text_message("user", f"m{i}") for i in range(100)]
    fitted, truncated = fit(messages, 300, frozenset({0}))
    assert truncated and size(fitted) <= 300
    validate("gen_ai.input.messages", dumps(fitted))
    assert fitted[-1]["parts"][0]["content"] == ""  # cut to nothing, the newest kept
    assert fitted[0]["truncated"] is True  # the first message after the gap is marked
    assert len(fitted) < 100


def test_fit_keeps_tool_arguments_json_and_structure_intact() -> None:
    output = [{"role": "assistant", "finish_reason": "tool_call", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "search", "arguments": {"query": "q" * 500, "limit": 5}}]}]
    fitted, truncated = fit(output, 200)
    assert truncated
    part = fitted[0]["parts"][0]
    assert part["id"] == "call_1" and part["name"] == "search" and part["truncated"] is True
    assert part["arguments"]["limit"] == 5 and part["arguments"]["query"].startswith("q")
    assert validate("gen_ai.output.messages", dumps(fitted))


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(min_size=0, max_size=400), min_size=1, max_size=12),
       budget=st.integers(min_value=2, max_value=3000))
def test_fit_always_gives_valid_json_within_budget(texts: list[str], budget: int) -> None:
    messages = [text_message("user" if i % 2 else "assistant", text) for i, text in enumerate(texts)]
    fitted, truncated = fit(messages, budget, frozenset({0}))
    text = dumps(fitted)
    assert json.loads(text) == fitted
    validate("gen_ai.input.messages", text)
    if size(messages) <= budget:
        assert (fitted, truncated) == (messages, False)
    else:
        assert truncated
        assert size(fitted) <= budget or fitted == []


def test_span_attribute_budget_on_a_real_call(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    long_text = "All work and no play. " * 200  # 4400 characters
    with capturing("SPAN_AND_EVENT", env={"GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES": "1024"}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "system", "content": "Be kind."},
                                                              {"role": "user", "content": long_text}])
    attributes = telemetry.only_span().attributes
    value = attributes["gen_ai.input.messages"]
    assert len(value.encode()) <= 1024
    [system, message] = validate("gen_ai.input.messages", value)
    assert system == text_message("system", "Be kind.")
    overhead = size([system, {"role": "user", "parts": [{"type": "text", "content": "", "truncated": True}]}])
    assert message["parts"] == [{"type": "text", "content": long_text[:1024 - overhead], "truncated": True}]
    # the output fits: untouched; the event has its own, larger budget: untouched too
    assert "truncated" not in attributes["gen_ai.output.messages"]
    event = only_event().log_record.attributes
    assert validate("gen_ai.input.messages", event["gen_ai.input.messages"])[1]["parts"][0]["content"] == long_text
    [point] = telemetry.metric_points(TRUNCATED)
    assert point["attributes"] == {"genai_otel.content.location": "gen_ai.input.messages"}
    assert (point["value"], point["unit"]) == (1, "{event}")


def test_event_budget_on_a_real_call(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("EVENT_ONLY", env={"GENAI_OTEL_CONTENT_MAX_EVENT_BYTES": "600"}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "z" * 2000}],
                                       **directives(chunks=50))
    event = only_event().log_record.attributes
    pieces = {name: validate(name, event[name]) for name in ("gen_ai.input.messages", "gen_ai.output.messages")}
    assert size(pieces) <= 600
    assert pieces["gen_ai.input.messages"][0]["parts"][0]["truncated"] is True
    assert pieces["gen_ai.output.messages"][0]["parts"][0]["content"].startswith("word0 word1")
    assert event["gen_ai.operation.name"] == "chat"  # the span's attributes are never cut
    [point] = telemetry.metric_points(TRUNCATED)
    assert point["attributes"] == {"genai_otel.content.location": "gen_ai.client.inference.operation.details"}


def test_sdk_attribute_length_limit_is_respected(client: openai.OpenAI, telemetry: Any, logs: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT the SDK would cut longer strings blindly: we fit under it first."""
    with capturing("SPAN_ONLY", env={"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "400"}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q" * 3000}])
    value = telemetry.only_span().attributes["gen_ai.input.messages"]
    assert len(value) <= 400
    assert validate("gen_ai.input.messages", value)[0]["parts"][0]["truncated"] is True


@pytest.mark.parametrize(("name", "value"), [("GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES", "lots"),
                                             ("GENAI_OTEL_CONTENT_MAX_EVENT_BYTES", "12"),
                                             ("GENAI_OTEL_CONTENT_KEEP_BINARY", "maybe")])
def test_bad_limit_values_warn_and_use_the_default(name: str, value: str, client: openai.OpenAI, telemetry: Any,
                                                   logs: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "genai_otel")
    with capturing("SPAN_AND_EVENT", env={name: value}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "a" * 5000}])
    warnings = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert len(warnings) == 1 and repr(value) in warnings[0]
    value_on_span = telemetry.only_span().attributes["gen_ai.input.messages"]
    assert "truncated" not in value_on_span  # 5000 characters fit the 16 KiB default


PNG = base64.b64encode(bytes(range(256)) * 12).decode()  # 3072 bytes


def test_binary_kept_when_asked(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    content = [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]
    with capturing("SPAN_ONLY", env={"GENAI_OTEL_CONTENT_KEEP_BINARY": "true"}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}])
    [message] = validate("gen_ai.input.messages", telemetry.only_span().attributes["gen_ai.input.messages"])
    assert message["parts"] == [{"type": "blob", "modality": "image", "mime_type": "image/png", "content": PNG}]
    assert base64.b64decode(message["parts"][0]["content"]) == bytes(range(256)) * 12


def test_binary_kept_but_over_budget_is_cut_and_marked(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    content = [{"type": "text", "text": "look"},
               {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]
    with capturing("SPAN_ONLY", env={"GENAI_OTEL_CONTENT_KEEP_BINARY": "true",
                                     "GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES": "1000"}):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": content}])
    [message] = validate("gen_ai.input.messages", telemetry.only_span().attributes["gen_ai.input.messages"])
    text, blob = message["parts"]
    assert text == {"type": "text", "content": "look"}
    assert blob["truncated"] is True and PNG.startswith(blob["content"]) and blob["mime_type"] == "image/png"


def test_a_lone_surrogate_stays_escaped_so_the_span_can_be_exported() -> None:
    """A reply's JSON "\\ud800" escape parses to a lone surrogate, which UTF-8 cannot encode (an OTLP exporter would
    drop the whole batch): the captured JSON keeps it escaped, still valid JSON that decodes to the very text. (The
    SDKs cannot send one, so it only comes from replies; tests/hardening/test_fuzz.py feeds them through the SDKs.)"""
    text = "half a pair: \ud800, accents: é"
    value = dumps([text_message("assistant", text)])
    assert "\\ud800" in value and "é" in value
    assert len(value.encode("utf-8")) == size([text_message("assistant", text)])  # encodable, and sized as sent
    assert json.loads(value) == [text_message("assistant", text)]
    assert dumps([text_message("assistant", "é")]) == '[{"role":"assistant","parts":[{"type":"text","content":"é"}]}]'
