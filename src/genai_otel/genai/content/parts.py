"""Message parts in the GenAI semantic conventions' shape, for adapters to build.

Messages, system instructions and tool definitions are plain ``dict`` / ``list`` values shaped as the conventions'
JSON schemas (``gen-ai-input-messages.json``, ``-output-messages.json``, ``-system-instructions.json``,
``-tool-definitions.json``) describe them, so they serialize to exactly what the span attributes carry. Keys whose
value is unknown are left out (never ``null``).

Adapters build these from the SDK's arguments *without copying the caller's strings or changing the caller's
objects*: a part refers to the caller's ``str`` values, which are immutable. Redaction and size limits work on
copies made by :mod:`genai_otel.genai.content`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = [
    "Message",
    "Part",
    "Prompt",
    "blob_part",
    "data_url_part",
    "file_part",
    "get",
    "message",
    "output_message",
    "reasoning_part",
    "text_part",
    "tool_call_part",
    "tool_definition",
    "tool_response_part",
    "uri_part",
]

Part = dict[str, Any]
Message = dict[str, Any]


class Prompt(NamedTuple):
    """The input of one inference call, normalized: what the prompt hash is taken over and what capture records."""

    system_instructions: list[Part]
    """``gen_ai.system_instructions``: parts (Anthropic ``system=``, Responses ``instructions=``)."""
    input_messages: list[Message]
    """``gen_ai.input.messages``: the chat history, system messages inside it included."""
    tool_definitions: list[dict[str, Any]]
    """``gen_ai.tool.definitions``."""
    secrets: tuple[str, ...] = ()
    """Credentials and header values of this call (API key, ``extra_headers`` values, ...), only gathered when
    content is captured: they are scrubbed from the captured copy whatever the redaction settings."""


def get(obj: Any, key: str) -> Any:
    """``obj[key]`` for mappings, ``obj.key`` for SDK objects; ``None`` when absent."""
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def text_part(text: str) -> Part:
    return {"type": "text", "content": text}


def reasoning_part(text: str) -> Part:
    return {"type": "reasoning", "content": text}


def tool_call_part(name: Any, arguments: Any = None, call_id: Any = None) -> Part:
    """A tool call the model asked for. ``arguments`` as sent (a JSON string is kept as the string here)."""
    part: Part = {"type": "tool_call"}
    if isinstance(call_id, str):
        part["id"] = call_id
    part["name"] = name if isinstance(name, str) else ""
    if arguments is not None:
        part["arguments"] = arguments
    return part


def tool_response_part(response: Any, call_id: Any = None) -> Part:
    part: Part = {"type": "tool_call_response"}
    if isinstance(call_id, str):
        part["id"] = call_id
    part["response"] = response if response is not None else ""
    return part


def blob_part(content: str, modality: str, mime_type: str | None = None) -> Part:
    """Inline binary data, ``content`` base64-encoded as the provider received it."""
    part: Part = {"type": "blob", "modality": modality}
    if mime_type:
        part["mime_type"] = mime_type
    part["content"] = content
    return part


def uri_part(uri: str, modality: str, mime_type: str | None = None) -> Part:
    part: Part = {"type": "uri", "modality": modality}
    if mime_type:
        part["mime_type"] = mime_type
    part["uri"] = uri
    return part


def file_part(file_id: str, modality: str, mime_type: str | None = None) -> Part:
    part: Part = {"type": "file", "modality": modality}
    if mime_type:
        part["mime_type"] = mime_type
    part["file_id"] = file_id
    return part


def data_url_part(url: str, modality: str) -> Part:
    """A URL the caller gave for an image / file: a ``blob`` for ``data:...;base64,`` URLs, else a ``uri``."""
    if url[:5].lower() == "data:":
        header, _, data = url.partition(",")
        mime_type = header[5:].split(";", 1)[0] or None
        return blob_part(data, modality, mime_type)
    return uri_part(url, modality)


def message(role: Any, parts: list[Part], name: Any = None) -> Message:
    entry: Message = {"role": role if isinstance(role, str) else str(role), "parts": parts}
    if isinstance(name, str) and name:
        entry["name"] = name
    return entry


def output_message(parts: list[Part], finish_reason: str | None, role: str = "assistant") -> Message:
    """One output message (a choice, a candidate); ``finish_reason`` is empty when the provider gave none."""
    return {"role": role, "parts": parts, "finish_reason": finish_reason or ""}


def tool_definition(kind: Any, name: Any, description: Any = None, parameters: Any = None) -> dict[str, Any]:
    """A tool the model may call; ``description`` is required by the schema, so an absent one is ``""``."""
    definition: dict[str, Any] = {
        "type": kind if isinstance(kind, str) else "function",
        "name": name if isinstance(name, str) else "",
        "description": description if isinstance(description, str) else "",
    }
    if parameters is not None:
        definition["parameters"] = parameters
    return definition
