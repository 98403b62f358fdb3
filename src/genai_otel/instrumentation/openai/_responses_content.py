"""The OpenAI Responses API as message content in the conventions' parts shape.

``instructions`` is the system instructions; ``input`` (a string, or a list of message and item objects: function
calls and their outputs, reasoning) the input messages; ``tools`` the tool definitions. The output is one assistant
message, read from the returned ``Response`` or, while capture is on, assembled from the event stream
(``ResponsesOutput``). Only lists and tuples are read (another iterable could be consumed by reading it).
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
    data_url_part,
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
from genai_otel.instrumentation._secrets import call_secrets
from genai_otel.instrumentation.openai._content import audio_part

__all__ = ["ResponsesOutput", "responses_output", "responses_prompt"]

Given = Callable[[dict[str, Any], str], Any]
_SEQUENCES = (list, tuple)


def responses_prompt(given: Given, instance: Any, kwargs: dict[str, Any], capture: bool) -> Prompt | None:
    instructions = given(kwargs, "instructions")
    system = [text_part(instructions)] if isinstance(instructions, str) and instructions else []
    given_input = given(kwargs, "input")
    if isinstance(given_input, str):
        messages = [message("user", [text_part(given_input)])]
    elif isinstance(given_input, _SEQUENCES):
        messages = [entry for item in given_input if (entry := _responses_item(item)) is not None]
    else:
        messages = []
    tools = given(kwargs, "tools")
    definitions = [_responses_tool(tool) for tool in tools] if isinstance(tools, _SEQUENCES) else []
    return Prompt(system, messages, definitions, call_secrets(instance, kwargs) if capture else ())


def _responses_item(item: Any) -> Message | None:
    kind = get(item, "type")
    role = get(item, "role")
    if role is not None and kind in (None, "message"):
        content = get(item, "content")
        if isinstance(content, str):
            parts = [text_part(content)]
        elif isinstance(content, _SEQUENCES):
            parts = [part for c in content if (part := _responses_content(c)) is not None]
        else:
            parts = []
        return message(role, parts)
    if kind in ("function_call", "custom_tool_call"):
        arguments = get(item, "arguments") if kind == "function_call" else get(item, "input")
        return message("assistant", [tool_call_part(get(item, "name"), arguments, get(item, "call_id"))])
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = get(item, "output")
        if isinstance(output, _SEQUENCES):
            output = [part for c in output if (part := _responses_content(c)) is not None]
        return message("tool", [tool_response_part(output, get(item, "call_id"))])
    if kind == "reasoning":
        text = _reasoning_text(item)
        return message("assistant", [reasoning_part(text)]) if text else None
    return None


def _responses_content(content: Any) -> Part | None:
    kind = get(content, "type")
    if kind in ("input_text", "output_text"):
        text = get(content, "text")
        return text_part(text) if isinstance(text, str) else None
    if kind == "refusal":
        refusal = get(content, "refusal")
        return text_part(refusal) if isinstance(refusal, str) else None
    if kind == "input_image":
        url, file_id = get(content, "image_url"), get(content, "file_id")
        if isinstance(url, str):
            return data_url_part(url, "image")
        return file_part(file_id, "image") if isinstance(file_id, str) else None
    if kind == "input_file":
        file_id, data, url = get(content, "file_id"), get(content, "file_data"), get(content, "file_url")
        if isinstance(file_id, str):
            return file_part(file_id, "document")
        if isinstance(data, str):
            return data_url_part(data, "document") if data[:5] == "data:" else blob_part(data, "document")
        return uri_part(url, "document") if isinstance(url, str) else None
    if kind == "input_audio":
        audio = get(content, "input_audio")
        return audio_part(get(audio, "data"), get(audio, "format"))
    return {"type": kind} if isinstance(kind, str) else None


def _reasoning_text(item: Any) -> str:
    texts = []
    for key in ("summary", "content"):
        for entry in get(item, key) or ():
            text = get(entry, "text")
            if isinstance(text, str) and text:
                texts.append(text)
    return "\n".join(texts)


def _responses_tool(tool: Any) -> dict[str, Any]:
    kind = get(tool, "type")
    if kind in ("function", "custom"):
        return tool_definition(kind, get(tool, "name"), get(tool, "description"),
                               get(tool, "parameters") if kind == "function" else None)
    label = get(tool, "server_label") if kind == "mcp" else None
    return tool_definition(kind, label if isinstance(label, str) else kind)


def _output_item_parts(item: Any) -> list[Part]:
    """One output item of a ``Response`` as parts (server-side tool calls are not content the client handles)."""
    kind = get(item, "type")
    if kind == "message":
        return [part for c in get(item, "content") or () if (part := _responses_content(c)) is not None]
    if kind == "function_call":
        return [tool_call_part(get(item, "name"), get(item, "arguments"), get(item, "call_id"))]
    if kind == "custom_tool_call":
        return [tool_call_part(get(item, "name"), get(item, "input"), get(item, "call_id"))]
    if kind == "reasoning":
        text = _reasoning_text(item)
        return [reasoning_part(text)] if text else []
    return []


def responses_output(response: Any, finish_reasons: tuple[str, ...]) -> list[Message]:
    """A ``Response``'s output as one assistant message; none while nothing is generated yet (background)."""
    parts = [part for item in getattr(response, "output", None) or () for part in _output_item_parts(item)]
    finish = finish_reasons[0] if finish_reasons else ""
    if not parts and not finish:
        return []
    return [output_message(parts, finish)]


_DELTA_SLOTS = {
    "response.output_text.delta": 3, "response.refusal.delta": 3,
    "response.function_call_arguments.delta": 4, "response.custom_tool_call_input.delta": 4,
    "response.reasoning_summary_text.delta": 5, "response.reasoning_text.delta": 5,
}  # fmt: skip
"""Delta events -> the slot of ``ResponsesOutput._items`` their text goes to (texts, arguments, reasoning)."""


class ResponsesOutput:
    """Assembles a Responses event stream's output items from their deltas; a finished item replaces its deltas."""

    __slots__ = ("_items", "_broken")

    def __init__(self) -> None:
        self._items: dict[int, list[Any]] = {}  # output index -> [type, name, call id, texts, arguments, reasoning,
        self._broken = False  #                                      the finished item or None]

    def add(self, event: Any, kind: Any) -> None:
        if self._broken:
            return
        try:
            self._add(event, kind)
        except Exception as exc:  # noqa: BLE001 - the stream's own accounting must go on
            self._broken = True
            internal_error("content.stream", exc)

    def _slot(self, event: Any) -> list[Any]:
        index = getattr(event, "output_index", 0) or 0
        slot = self._items.get(index)
        if slot is None:
            slot = self._items[index] = [None, None, None, [], [], [], None]
        return slot

    def _add(self, event: Any, kind: Any) -> None:
        if kind == "response.output_item.added" or kind == "response.output_item.done":
            item = getattr(event, "item", None)
            slot = self._slot(event)
            slot[0] = getattr(item, "type", None)
            slot[1] = getattr(item, "name", None)
            slot[2] = getattr(item, "call_id", None)
            if kind == "response.output_item.done":
                slot[6] = item
        elif kind in _DELTA_SLOTS:
            delta = getattr(event, "delta", None)
            if isinstance(delta, str) and delta:  # null or missing in a malformed event: nothing to add
                self._slot(event)[_DELTA_SLOTS[kind]].append(delta)

    def messages(self, finish_reasons: tuple[str, ...]) -> list[Message]:
        parts: list[Part] = []
        for index in sorted(self._items):
            kind, name, call_id, texts, arguments, reasoning, done = self._items[index]
            if done is not None:
                parts += _output_item_parts(done)
            elif kind in ("function_call", "custom_tool_call"):
                parts.append(tool_call_part(name, "".join(arguments), call_id))
            else:
                if reasoning:
                    parts.append(reasoning_part("".join(reasoning)))
                if texts:
                    parts.append(text_part("".join(texts)))
        finish = finish_reasons[0] if finish_reasons else ""
        if not parts and not finish:
            return []
        return [output_message(parts, finish)]
