"""OpenAI chat completions and legacy completions as message content in the conventions' parts shape.

Prompts (read for every call: the prompt hash is taken over them) come from chat ``messages`` / ``tools`` /
``functions`` and legacy ``prompt`` (the Responses API is in ``_responses_content``). Only lists and tuples are
read: any other iterable the SDK accepts could be consumed by reading it, so it is left alone. Outputs are read from
the returned objects, or assembled from stream chunks (``ChatOutput``) while capture is on.
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
)
from genai_otel.genai.types import normalize_finish_reason
from genai_otel.instrumentation._secrets import call_secrets

__all__ = ["ChatOutput", "audio_part", "chat_output", "chat_prompt", "completion_output", "completion_prompt"]

Given = Callable[[dict[str, Any], str], Any]
_SEQUENCES = (list, tuple)
_AUDIO_MIME = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "opus": "audio/opus",
               "aac": "audio/aac", "pcm16": "audio/pcm"}


def audio_part(data: Any, fmt: Any) -> Part | None:
    if not isinstance(data, str):
        return None
    mime = _AUDIO_MIME.get(fmt, f"audio/{fmt}") if isinstance(fmt, str) and fmt else None
    return blob_part(data, "audio", mime)


# --- chat completions ---


def chat_prompt(given: Given, instance: Any, kwargs: dict[str, Any], capture: bool) -> Prompt | None:
    messages = given(kwargs, "messages")
    if not isinstance(messages, _SEQUENCES):
        return None
    definitions: list[dict[str, Any]] = []
    tools = given(kwargs, "tools")
    if isinstance(tools, _SEQUENCES):
        definitions += (_chat_tool(tool) for tool in tools)
    functions = given(kwargs, "functions")
    if isinstance(functions, _SEQUENCES):
        definitions += (tool_definition("function", get(f, "name"), get(f, "description"), get(f, "parameters"))
                        for f in functions)
    return Prompt([], [_chat_message(entry) for entry in messages], definitions,
                  call_secrets(instance, kwargs) if capture else ())


def _chat_message(entry: Any) -> Message:
    role = get(entry, "role")
    content = get(entry, "content")
    parts: list[Part]
    if role == "tool" or role == "function":
        response = content if isinstance(content, str) else _text_of(content)
        call_id = get(entry, "tool_call_id")
        return message("tool", [tool_response_part(response, call_id)], get(entry, "name"))
    if isinstance(content, str):
        parts = [text_part(content)]
    elif isinstance(content, _SEQUENCES):
        parts = [part for item in content if (part := _chat_part(item)) is not None]
    else:
        parts = []
    refusal = get(entry, "refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(text_part(refusal))
    calls = get(entry, "tool_calls")
    if isinstance(calls, _SEQUENCES):
        parts += (_chat_tool_call(call) for call in calls)
    legacy = get(entry, "function_call")
    if legacy is not None:
        parts.append(tool_call_part(get(legacy, "name"), get(legacy, "arguments")))
    return message(role, parts, get(entry, "name"))


def _chat_part(item: Any) -> Part | None:
    kind = get(item, "type")
    if kind == "text":
        text = get(item, "text")
        return text_part(text) if isinstance(text, str) else None
    if kind == "image_url":
        url = get(get(item, "image_url"), "url")
        return data_url_part(url, "image") if isinstance(url, str) else None
    if kind == "input_audio":
        audio = get(item, "input_audio")
        return audio_part(get(audio, "data"), get(audio, "format"))
    if kind == "file":
        file = get(item, "file")
        file_id, data = get(file, "file_id"), get(file, "file_data")
        if isinstance(file_id, str):
            return file_part(file_id, "document")
        if isinstance(data, str):
            return data_url_part(data, "document") if data[:5] == "data:" else blob_part(data, "document")
        return None
    if kind == "refusal":
        refusal = get(item, "refusal")
        return text_part(refusal) if isinstance(refusal, str) else None
    return {"type": kind} if isinstance(kind, str) else None


def _text_of(content: Any) -> str:
    """The text of a list of text parts (a tool message's content may be one)."""
    if not isinstance(content, _SEQUENCES):
        return ""
    return "".join(text for item in content if isinstance(text := get(item, "text"), str))


def _chat_tool_call(call: Any) -> Part:
    if get(call, "type") == "custom":
        custom = get(call, "custom")
        return tool_call_part(get(custom, "name"), get(custom, "input"), get(call, "id"))
    function = get(call, "function")
    return tool_call_part(get(function, "name"), get(function, "arguments"), get(call, "id"))


def _chat_tool(tool: Any) -> dict[str, Any]:
    kind = get(tool, "type")
    if kind == "function":
        function = get(tool, "function")
        return tool_definition("function", get(function, "name"), get(function, "description"),
                               get(function, "parameters"))
    if kind == "custom":
        custom = get(tool, "custom")
        return tool_definition("custom", get(custom, "name"), get(custom, "description"))
    return tool_definition(kind, kind)


def chat_output(completion: Any) -> list[Message]:
    """The choices of a ``ChatCompletion`` as output messages."""
    out: list[Message] = []
    for choice in getattr(completion, "choices", None) or ():
        entry = getattr(choice, "message", None)
        parts: list[Part] = []
        reasoning = getattr(entry, "reasoning_content", None)  # OpenAI-compatible servers (DeepSeek, vLLM, ...)
        if isinstance(reasoning, str) and reasoning:
            parts.append(reasoning_part(reasoning))
        content = getattr(entry, "content", None)
        if isinstance(content, str) and content:
            parts.append(text_part(content))
        refusal = getattr(entry, "refusal", None)
        if isinstance(refusal, str) and refusal:
            parts.append(text_part(refusal))
        audio = getattr(entry, "audio", None)
        if audio is not None:
            transcript = getattr(audio, "transcript", None)
            if isinstance(transcript, str) and transcript:
                parts.append(text_part(transcript))
            blob = audio_part(getattr(audio, "data", None), None)
            if blob is not None:
                parts.append(blob)
        parts += (_chat_tool_call(call) for call in getattr(entry, "tool_calls", None) or ())
        legacy = getattr(entry, "function_call", None)
        if legacy is not None:
            parts.append(tool_call_part(get(legacy, "name"), get(legacy, "arguments")))
        out.append(output_message(parts, _finish(getattr(choice, "finish_reason", None))))
    return out


def _finish(reason: Any) -> str:
    return normalize_finish_reason(reason) if isinstance(reason, str) and reason else ""


class _StreamedChoice:
    __slots__ = ("text", "reasoning", "calls")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, list[Any]] = {}  # tool-call index -> [id, name, argument fragments, kind]


class ChatOutput:
    """Assembles streamed chat (and legacy completion) choices: text, refusal, reasoning, tool-call arguments."""

    __slots__ = ("_choices", "_broken")

    def __init__(self) -> None:
        self._choices: dict[int, _StreamedChoice] = {}
        self._broken = False

    def add(self, choice: Any) -> None:
        if self._broken:
            return
        try:
            self._add(choice)
        except Exception as exc:  # noqa: BLE001 - the stream's own accounting must go on
            self._broken = True
            internal_error("content.stream", exc)

    def _add(self, choice: Any) -> None:
        index = getattr(choice, "index", 0) or 0
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _StreamedChoice()
        delta = getattr(choice, "delta", None)
        if delta is None:  # a legacy completion chunk
            text = getattr(choice, "text", None)
            if text:
                state.text.append(text)
            return
        for name in ("content", "refusal"):
            text = getattr(delta, name, None)
            if text:
                state.text.append(text)
        reasoning = getattr(delta, "reasoning_content", None)
        if isinstance(reasoning, str) and reasoning:
            state.reasoning.append(reasoning)
        for call in getattr(delta, "tool_calls", None) or ():
            key = call.index or 0  # a tool call without an index is the first
            slot = state.calls.get(key)
            if slot is None:
                slot = state.calls[key] = [None, None, [], None]
            if getattr(call, "id", None):
                slot[0] = call.id
            function = getattr(call, "function", None)
            if function is not None:
                if getattr(function, "name", None):
                    slot[1] = function.name
                if getattr(function, "arguments", None):
                    slot[2].append(function.arguments)
        legacy = getattr(delta, "function_call", None)
        if legacy is not None:
            slot = state.calls.get(-1)
            if slot is None:
                slot = state.calls[-1] = [None, None, [], None]
            if getattr(legacy, "name", None):
                slot[1] = legacy.name
            if getattr(legacy, "arguments", None):
                slot[2].append(legacy.arguments)

    def messages(self, finish_reasons: dict[int, str]) -> list[Message]:
        out: list[Message] = []
        for index in sorted(set(self._choices) | set(finish_reasons)):
            state = self._choices.get(index) or _StreamedChoice()
            parts: list[Part] = []
            if state.reasoning:
                parts.append(reasoning_part("".join(state.reasoning)))
            if state.text:
                parts.append(text_part("".join(state.text)))
            for key in sorted(state.calls):
                call_id, name, fragments, _ = state.calls[key]
                parts.append(tool_call_part(name, "".join(fragments), call_id))
            out.append(output_message(parts, _finish(finish_reasons.get(index))))
        return out


# --- legacy completions ---


def completion_prompt(given: Given, instance: Any, kwargs: dict[str, Any], capture: bool) -> Prompt | None:
    prompt = given(kwargs, "prompt")
    if isinstance(prompt, str):
        texts: list[Any] = [prompt]
    elif isinstance(prompt, _SEQUENCES):
        texts = list(prompt) if all(isinstance(p, str) for p in prompt) else [prompt]
    else:
        return None
    messages = [message("user", [text_part(text) if isinstance(text, str) else {"type": "tokens", "tokens": text}])
                for text in texts]
    return Prompt([], messages, [], call_secrets(instance, kwargs) if capture else ())


def completion_output(completion: Any) -> list[Message]:
    out: list[Message] = []
    for choice in getattr(completion, "choices", None) or ():
        text = getattr(choice, "text", None)
        parts = [text_part(text)] if isinstance(text, str) and text else []
        out.append(output_message(parts, _finish(getattr(choice, "finish_reason", None))))
    return out
