"""The built-in JSON-output check: calls that ask for JSON get ``genai_otel.output.json.valid`` / ``.check`` and a
count in ``genai_otel.output.json.checks``, through the real SDKs (chat, Responses, Anthropic; plain, parsed,
streamed). The fake server fills a requested schema with values of the right types."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pydantic
import pytest

from genai_otel.instrumentation import _json_output
from tests.extending.conftest import CLAUDE, MODEL, USER

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
          "required": ["city", "days"], "additionalProperties": False}
CODE = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}, "required": ["code"]}
"""The fake server answers ``{"code": "word0"}``: JSON, but not what the schema asks for."""


class Trip(pydantic.BaseModel):
    city: str
    days: int


def _check(telemetry: Any) -> tuple[Any, Any]:
    span = telemetry.only_span()
    attributes = span.attributes
    return attributes.get("genai_otel.output.json.valid"), attributes.get("genai_otel.output.json.check")


def _counted(telemetry: Any) -> list[tuple[Any, ...]]:
    return sorted((p["attributes"]["gen_ai.provider.name"], p["attributes"]["gen_ai.request.model"],
                   p["attributes"]["genai_otel.output.json.valid"], p["attributes"]["genai_otel.output.json.check"],
                   p["value"]) for p in telemetry.metric_points("genai_otel.output.json.checks"))


def _format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


@pytest.mark.parametrize(("response_format", "expected"), [
    ({"type": "json_object"}, (True, "parse")),
    (_format(SCHEMA), (True, "schema")),
    (_format(CODE), (False, "schema")),
])
def test_chat_completions(client: openai.OpenAI, telemetry: Any, response_format: Any, expected: Any) -> None:
    client.chat.completions.create(model=MODEL, messages=USER, response_format=response_format)
    assert _check(telemetry) == expected
    assert _counted(telemetry) == [("openai", MODEL, *expected, 1)]


def test_json_cut_short_is_invalid(client: openai.OpenAI, telemetry: Any) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=USER, response_format={"type": "json_object"},
                                                max_tokens=2)
    assert completion.choices[0].message.content == '{"answer": "word0'
    assert _check(telemetry) == (False, "parse")


def test_streamed_chat_and_every_choice(client: openai.OpenAI, telemetry: Any) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=USER, stream=True, n=2,
                                            response_format=_format(SCHEMA))
    assert len([c for c in stream if c.choices]) > 2
    assert _check(telemetry) == (True, "schema")


def test_parse_with_a_pydantic_type(client: openai.OpenAI, telemetry: Any) -> None:
    completion = client.chat.completions.parse(model=MODEL, messages=USER, response_format=Trip)
    assert completion.choices[0].message.parsed == Trip(city="word0", days=1)
    assert _check(telemetry) == (True, "schema")


def test_responses_api(client: openai.OpenAI, telemetry: Any) -> None:
    response = client.responses.create(model=MODEL, input="Plan a trip",
                                       text={"format": {"type": "json_schema", "name": "trip", "schema": CODE}})
    assert response.output_text == '{"code":"word0"}'
    assert _check(telemetry) == (False, "schema")
    telemetry.clear()
    parsed = client.responses.parse(model=MODEL, input="Plan a trip", text_format=Trip)
    assert parsed.output_parsed == Trip(city="word0", days=1)
    assert _check(telemetry) == (True, "schema")


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_structured_output(claude: anthropic.Anthropic, telemetry: Any, stream: bool) -> None:
    fmt = {"format": {"type": "json_schema", "schema": SCHEMA}}
    if stream:
        with claude.messages.stream(model=CLAUDE, max_tokens=100, messages=USER, output_config=fmt) as events:
            assert events.get_final_text() == '{"city":"word0","days":1}'
    else:
        claude.messages.create(model=CLAUDE, max_tokens=100, messages=USER, output_config=fmt)
    assert _check(telemetry) == (True, "schema")
    assert _counted(telemetry) == [("anthropic", CLAUDE, True, "schema", 1)]


def test_anthropic_parse(claude: anthropic.Anthropic, telemetry: Any) -> None:
    message = claude.messages.parse(model=CLAUDE, max_tokens=100, messages=USER, output_format=Trip)
    assert message.parsed_output == Trip(city="word0", days=1)
    assert _check(telemetry) == (True, "schema")


def test_calls_not_asking_for_json_are_not_checked(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model=MODEL, messages=USER)
    assert _check(telemetry) == (None, None)
    assert _counted(telemetry) == []


def test_failed_calls_and_answers_without_text_are_not_checked(client: openai.OpenAI, telemetry: Any) -> None:
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=USER, response_format={"type": "json_object"},
                                       extra_headers={"x-fake-llm": "status=500"})
    assert _check(telemetry) == (None, None)
    telemetry.clear()
    client.chat.completions.create(model=MODEL, messages=USER, response_format={"type": "json_object"},
                                   extra_headers={"x-fake-llm": "finish=refusal"})
    assert _check(telemetry) == (None, None)
    assert _counted(telemetry) == []


def test_without_jsonschema_the_check_is_parse_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_jsonschema(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "jsonschema":
            raise ImportError("No module named 'jsonschema'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jsonschema)
    monkeypatch.setattr(_json_output, "_validators", {})
    spec = _json_output.JsonSpec(schema=CODE)
    assert _json_output.check(['{"code": "word0"}'], spec) == (True, "parse")
    assert _json_output.check(['{"code": '], spec) == (False, "parse")
