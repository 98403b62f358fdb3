"""The schema facts themselves: they accept the conventions' own examples and reject what they must."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from tests.content.schemas import validate

GOOD: list[tuple[str, Any]] = [
    ("gen_ai.input.messages", [
        {"role": "system", "parts": [{"type": "text", "content": "You are a helpful bot"}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"},
                                   {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                                         "arguments": {"location": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "rainy, 57F"}]},
    ]),
    ("gen_ai.output.messages", [{"role": "assistant", "finish_reason": "stop", "parts": [
        {"type": "reasoning", "content": "think"}, {"type": "text", "content": "It is rainy."}]}]),
    ("gen_ai.system_instructions", [{"type": "text", "content": "Be terse."}]),
    ("gen_ai.tool.definitions", [{"type": "function", "name": "f", "description": "d", "parameters": {}}]),
]
BAD: list[tuple[str, Any, bool]] = [  # (attribute, document, still valid against the published schema)
    ("gen_ai.output.messages", [{"role": "assistant", "parts": []}], False),  # no finish_reason
    ("gen_ai.input.messages", [{"parts": []}], False),  # no role
    ("gen_ai.input.messages", [{"role": "user", "parts": [{"type": "blob", "content": "AA=="}]}], True),  # modality
    ("gen_ai.input.messages", [{"role": "user", "parts": [{"type": "text"}]}], True),  # no content
    ("gen_ai.input.messages", [{"role": "user", "parts": [{"type": "image_url"}]}], True),  # not a defined part
    ("gen_ai.input.messages", [{"role": "robot", "parts": []}], True),  # not a defined role
    ("gen_ai.output.messages", [{"role": "assistant", "parts": [], "finish_reason": "end_turn"}], True),
    ("gen_ai.tool.definitions", [{"type": "function", "name": "f"}], False),  # no description
    ("gen_ai.system_instructions", [{"content": "x"}], False),  # no type
]


@pytest.mark.parametrize(("name", "document"), GOOD)
def test_accepts_the_conventions_examples(name: str, document: Any) -> None:
    assert validate(name, document) == document


@pytest.mark.parametrize(("name", "document", "published_accepts"), BAD)
def test_rejects(name: str, document: Any, published_accepts: bool) -> None:
    from tests.content.schemas import SCHEMAS

    assert jsonschema.Draft202012Validator(SCHEMAS[name]).is_valid(document) is published_accepts
    with pytest.raises(jsonschema.ValidationError):
        validate(name, document)
