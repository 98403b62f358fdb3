"""Anthropic Messages requests and responses as message content in the conventions' parts shape.

``system=`` is the system instructions; ``messages`` the input messages (a ``tool_result`` block is a
``tool_call_response`` part of the user message that carries it, as on the wire); ``tools`` the tool definitions.
Only lists and tuples are read (another iterable could be consumed by reading it). Output comes from the returned
``Message`` or, while capture is on, from the stream's content-block events (``MessageOutput``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genai_otel.genai._safety import internal_error
from genai_otel.genai.content.parts import (
    Message,
    Part,
    Prompt,
    blob_part,
    file_part,
    get,
    message,
    output_message,
    reasoning_part,
    text_part,
    tool_call_part,
    tool_definition,
    tool_response_part,
    uri_part,
)
from genai_otel.genai.types import normalize_finish_reason
from genai_otel.instrumentation._secrets import call_secrets

__all__ = ["MessageOutput", "message_output", "messages_prompt"]

Given = Callable[[dict[str, Any], str], Any]
_SEQUENCES = (list, tuple)
_MODALITIES = {"image": "image", "document": "document"}


def messages_prompt(given: Given, instance: Any, kwargs: dict[str, Any], capture: bool) -> Prompt | None:
    messages = given(kwargs, "messages")
    if not isinstance(messages, _SEQUENCES):
        return None
    system = given(kwargs, "system")
    if isinstance(system, str):
        instructions = [text_part(system)] if system else []
    elif isinstance(system, _SEQUENCES):
        instructions = [part for block in system if (part := _block(block)) is not None]
    else:
        instructions = []
    tools = given(kwargs, "tools")
    definitions = [_tool(tool) for tool in tools] if isinstance(tools, _SEQUENCES) else []
    return Prompt(instructions, [_message(entry) for entry in messages], definitions,
                  call_secrets(instance, kwargs) if capture else ())


def _message(entry: Any) -> Message:
    content = get(entry, "content")
    if isinstance(content, str):
        parts = [text_part(content)]
    elif isinstance(content, _SEQUENCES):
        parts = [part for block in content if (part := _block(block)) is not None]
    else:
        parts = []
    return message(get(entry, "role"), parts)


def _block(block: Any) -> Part | None:
    """One content block (request or response side) as a part; ``None`` for blocks with no content to show."""
    kind = get(block, "type")
    if kind == "text":
        text = get(block, "text")
        return text_part(text) if isinstance(text, str) else None
    if kind in _MODALITIES:
        return _source(get(block, "source"), _MODALITIES[kind])
    if kind == "tool_use":
        return tool_call_part(get(block, "name"), get(block, "input"), get(block, "id"))
    if kind == "tool_result":
        content = get(block, "content")
        if isinstance(content, _SEQUENCES):
            content = [part for item in content if (part := _block(item)) is not None]
        return tool_response_part(content, get(block, "tool_use_id"))
    if kind == "thinking":
        thinking = get(block, "thinking")
        return reasoning_part(thinking) if isinstance(thinking, str) else None
    if kind == "redacted_thinking":
        return None  # encrypted by the provider: nothing readable to capture
    return {"type": kind} if isinstance(kind, str) else None


def _source(source: Any, modality: str) -> Part | None:
    kind = get(source, "type")
    if kind == "base64":
        data = get(source, "data")
        return blob_part(data, modality, get(source, "media_type")) if isinstance(data, str) else None
    if kind == "url":
        url = get(source, "url")
        return uri_part(url, modality) if isinstance(url, str) else None
    if kind == "file":
        file_id = get(source, "file_id")
        return file_part(file_id, modality) if isinstance(file_id, str) else None
    if kind == "text":  # a plain-text document
        data = get(source, "data")
        return text_part(data) if isinstance(data, str) else None
    return None


def _tool(tool: Any) -> dict[str, Any]:
    kind = get(tool, "type")
    if kind in (None, "custom"):
        return tool_definition("function", get(tool, "name"), get(tool, "description"), get(tool, "input_schema"))
    return tool_definition(kind, get(tool, "name"))  # a server tool (web search, code execution, ...)


def message_output(result: Any) -> list[Message]:
    """A returned ``Message`` as one output message."""
    parts = [part for block in getattr(result, "content", None) or () if (part := _output_block(block)) is not None]
    return [output_message(parts, _finish(getattr(result, "stop_reason", None)))]


def _output_block(block: Any) -> Part | None:
    if get(block, "type") in ("text", "thinking", "tool_use"):
        return _block(block)
    return None  # server tool use and results ran at the provider


def _finish(reason: Any) -> str:
    return normalize_finish_reason(reason) if isinstance(reason, str) and reason else ""


class MessageOutput:
    """Assembles a streamed message's content blocks: text, thinking and ``input_json`` deltas, by block index."""

    __slots__ = ("_blocks", "_broken")

    def __init__(self) -> None:
        self._blocks: dict[int, list[Any]] = {}  # index -> [type, id, name, fragments, initial input]
        self._broken = False

    def add(self, event: Any, kind: str) -> None:
        if self._broken:
            return
        try:
            self._add(event, kind)
        except Exception as exc:  # noqa: BLE001 - the stream's own accounting must go on
            self._broken = True
            internal_error("content.stream", exc)

    def _add(self, event: Any, kind: str) -> None:
        index = getattr(event, "index", 0) or 0
        if kind == "content_block_start":
            block = event.content_block
            kind_of_block = getattr(block, "type", None)
            initial = getattr(block, "text", None) if kind_of_block == "text" else (
                getattr(block, "thinking", None) if kind_of_block == "thinking" else None)
            self._blocks[index] = [kind_of_block, getattr(block, "id", None), getattr(block, "name", None),
                                   [initial] if initial else [], getattr(block, "input", None)]
            return
        slot = self._blocks.get(index)
        if slot is None:
            return
        delta = event.delta
        piece = getattr(delta, "text", None) or getattr(delta, "partial_json", None) or getattr(delta, "thinking", None)
        if isinstance(piece, str) and piece:
            slot[3].append(piece)

    def messages(self, stop_reason: str | None) -> list[Message]:
        parts: list[Part] = []
        for index in sorted(self._blocks):
            kind, block_id, name, fragments, initial = self._blocks[index]
            text = "".join(fragments)
            if kind == "text":
                parts.append(text_part(text))
            elif kind == "thinking":
                parts.append(reasoning_part(text))
            elif kind == "tool_use":
                parts.append(tool_call_part(name, text if fragments else initial, block_id))
        return [output_message(parts, _finish(stop_reason))]
