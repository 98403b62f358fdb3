"""The GenAI semantic conventions' JSON schemas for captured content, as facts, and validation against them.

Transcribed from the conventions' ``gen-ai-input-messages.json``, ``gen-ai-output-messages.json``,
``gen-ai-system-instructions.json`` and ``gen-ai-tool-definitions.json`` (semantic-conventions-genai): the part
types, their required fields and constants, the role, modality and finish-reason vocabularies. Descriptions and
titles are left out; everything that constrains a document is here.

The conventions' schemas also accept a ``GenericPart`` (any object with a string ``type``) and any string as role
or finish reason, which would let almost anything through. So every document is validated twice: against the
schema as published (``SCHEMAS``), and against a strict variant (``STRICT``) where a part must be one of the
defined part types, a role one of the defined roles and a finish reason one of the defined reasons (or ``""``,
genai-otel's "none was reported"), which is what genai-otel emits for the calls under test.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema

ROLES = ["system", "user", "assistant", "tool"]
MODALITIES = ["image", "video", "audio", "document"]
FINISH_REASONS = ["stop", "length", "content_filter", "tool_call", "error"]
_NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _const(name: str) -> dict[str, Any]:
    return {"const": name, "type": "string"}


def _modality() -> dict[str, Any]:
    return {"anyOf": [{"$ref": "#/$defs/Modality"}, {"type": "string"}]}


DEFS: dict[str, Any] = {
    "Role": {"enum": ROLES, "type": "string"},
    "Modality": {"enum": MODALITIES, "type": "string"},
    "FinishReason": {"enum": FINISH_REASONS, "type": "string"},
    "TextPart": {
        "type": "object", "additionalProperties": True, "required": ["type", "content"],
        "properties": {"type": _const("text"), "content": {"type": "string"}},
    },
    "ReasoningPart": {
        "type": "object", "additionalProperties": True, "required": ["type", "content"],
        "properties": {"type": _const("reasoning"), "content": {"type": "string"}},
    },
    "ToolCallRequestPart": {
        "type": "object", "additionalProperties": True, "required": ["type", "name"],
        "properties": {"type": _const("tool_call"), "id": _NULLABLE_STRING, "name": {"type": "string"},
                       "arguments": {}},
    },
    "ToolCallResponsePart": {
        "type": "object", "additionalProperties": True, "required": ["type", "response"],
        "properties": {"type": _const("tool_call_response"), "id": _NULLABLE_STRING, "response": {}},
    },
    "ServerToolCallPart": {
        "type": "object", "additionalProperties": True, "required": ["type", "name", "server_tool_call"],
        "properties": {"type": _const("server_tool_call"), "id": _NULLABLE_STRING, "name": {"type": "string"},
                       "server_tool_call": {"$ref": "#/$defs/GenericServerToolCall"}},
    },
    "ServerToolCallResponsePart": {
        "type": "object", "additionalProperties": True, "required": ["type", "server_tool_call_response"],
        "properties": {"type": _const("server_tool_call_response"), "id": _NULLABLE_STRING,
                       "server_tool_call_response": {"$ref": "#/$defs/GenericServerToolCallResponse"}},
    },
    "GenericServerToolCall": {
        "type": "object", "additionalProperties": True, "required": ["type"],
        "properties": {"type": {"type": "string"}},
    },
    "GenericServerToolCallResponse": {
        "type": "object", "additionalProperties": True, "required": ["type"],
        "properties": {"type": {"type": "string"}},
    },
    "BlobPart": {
        "type": "object", "required": ["type", "modality", "content"],
        "properties": {"type": _const("blob"), "mime_type": _NULLABLE_STRING, "modality": _modality(),
                       "content": {"type": "string", "format": "binary"}},
    },
    "FilePart": {
        "type": "object", "additionalProperties": True, "required": ["type", "modality", "file_id"],
        "properties": {"type": _const("file"), "mime_type": _NULLABLE_STRING, "modality": _modality(),
                       "file_id": {"type": "string"}},
    },
    "UriPart": {
        "type": "object", "additionalProperties": True, "required": ["type", "modality", "uri"],
        "properties": {"type": _const("uri"), "mime_type": _NULLABLE_STRING, "modality": _modality(),
                       "uri": {"type": "string"}},
    },
    "GenericPart": {
        "type": "object", "additionalProperties": True, "required": ["type"],
        "properties": {"type": {"type": "string"}},
    },
}
_PART_TYPES = ["TextPart", "ToolCallRequestPart", "ToolCallResponsePart", "ServerToolCallPart",
               "ServerToolCallResponsePart", "BlobPart", "FilePart", "UriPart", "ReasoningPart", "GenericPart"]
_ANY_PART = {"anyOf": [{"$ref": f"#/$defs/{name}"} for name in _PART_TYPES]}
_ROLE = {"anyOf": [{"$ref": "#/$defs/Role"}, {"type": "string"}]}

INPUT_MESSAGES: dict[str, Any] = {
    "$defs": {
        **DEFS,
        "ChatMessage": {
            "type": "object", "additionalProperties": True, "required": ["role", "parts"],
            "properties": {"role": _ROLE, "parts": {"type": "array", "items": _ANY_PART}, "name": _NULLABLE_STRING},
        },
    },
    "type": "array", "items": {"$ref": "#/$defs/ChatMessage"},
}
OUTPUT_MESSAGES: dict[str, Any] = {
    "$defs": {
        **DEFS,
        "OutputMessage": {
            "type": "object", "additionalProperties": True, "required": ["role", "parts", "finish_reason"],
            "properties": {"role": _ROLE, "parts": {"type": "array", "items": _ANY_PART}, "name": _NULLABLE_STRING,
                           "finish_reason": {"anyOf": [{"$ref": "#/$defs/FinishReason"}, {"type": "string"}]}},
        },
    },
    "type": "array", "items": {"$ref": "#/$defs/OutputMessage"},
}
SYSTEM_INSTRUCTIONS: dict[str, Any] = {"$defs": DEFS, "type": "array", "items": _ANY_PART}
TOOL_DEFINITIONS: dict[str, Any] = {
    "$defs": {
        "ToolType": {"enum": ["function", "custom"], "type": "string"},
        "ToolDefinition": {
            "type": "object", "additionalProperties": True, "required": ["type", "name", "description"],
            "properties": {"type": {"anyOf": [{"$ref": "#/$defs/ToolType"}, {"type": "string"}]},
                           "name": {"type": "string"}, "description": {"type": "string"},
                           "parameters": {}, "response": {}},
        },
    },
    "type": "array", "items": {"$ref": "#/$defs/ToolDefinition"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "gen_ai.input.messages": INPUT_MESSAGES,
    "gen_ai.output.messages": OUTPUT_MESSAGES,
    "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
    "gen_ai.tool.definitions": TOOL_DEFINITIONS,
}


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    strict = copy.deepcopy(schema)
    defs = strict["$defs"]
    known = {"anyOf": [{"$ref": f"#/$defs/{name}"} for name in _PART_TYPES if name != "GenericPart"]}
    for name in ("ChatMessage", "OutputMessage"):
        if name in defs:
            defs[name]["properties"]["parts"]["items"] = known
            defs[name]["properties"]["role"] = {"$ref": "#/$defs/Role"}
    if "OutputMessage" in defs:  # "" is genai-otel's "no finish reason was reported" (a stream closed early)
        defs["OutputMessage"]["properties"]["finish_reason"] = {"anyOf": [{"$ref": "#/$defs/FinishReason"},
                                                                          {"const": ""}]}
    if strict.get("items") == _ANY_PART:
        strict["items"] = known
    for name in ("BlobPart", "FilePart", "UriPart"):
        if name in defs:
            defs[name]["properties"]["modality"] = {"$ref": "#/$defs/Modality"}
    return strict


STRICT: dict[str, dict[str, Any]] = {name: _strict(schema) for name, schema in SCHEMAS.items()}


_VALIDATORS = {name: (jsonschema.Draft202012Validator(SCHEMAS[name]), jsonschema.Draft202012Validator(STRICT[name]))
               for name in SCHEMAS}


def validate(name: str, value: Any) -> Any:
    """Validate one captured piece (a JSON string from a span, or the structured value of an event) against the
    conventions' schema and the strict variant; returns the parsed value."""
    document = json.loads(value) if isinstance(value, str) else _plain(value)
    for validator in _VALIDATORS[name]:
        validator.validate(document)
    return document


def _plain(value: Any) -> Any:
    """An event attribute as exported (the SDK turns lists into tuples) back to plain JSON values."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
