"""OpenAI ``POST /v1/chat/completions``: the ``chat.completion`` object and its SSE chunk stream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._replies import Frame, Reply, json_reply, sse_data, sse_done, sse_stream
from genai_otel.testing.fake_llm._schema import sample_for_schema
from genai_otel.testing.fake_llm._text import (
    DEFAULT_CHUNKS,
    TOOL_NAME,
    content_text,
    count_words,
    dated_model,
    message_tokens,
    split_fixed,
    split_words,
    tool_arguments,
)

SYSTEM_FINGERPRINT = "fp_fake0000"
REFUSAL_TEXT = "I'm sorry, but I can't help with that."


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Answer:
    """What every choice says (all choices of one request say the same)."""

    content: str | None
    refusal: str | None
    finish_reason: str
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def output_tokens(self) -> int:
        text = (self.content or "") + " " + (self.refusal or "")
        return count_words(text) + sum(count_words(call.arguments) for call in self.tool_calls)


def chat_completion(call: Call) -> Reply:
    answer = plan_answer(call)
    completion = completion_object(call, answer)
    if not call.stream:
        return json_reply(completion, newline=True)
    return sse_stream(stream_frames(call, completion, answer))


def plan_answer(call: Call) -> Answer:
    body, directives = call.body, call.directives
    tool_calls = [_tool_call(call, index) for index in range(directives.tool_calls)]
    default_words = 0 if tool_calls else DEFAULT_CHUNKS
    text = _structured_text(body.get("response_format"))
    if text is None:
        text = content_text(default_words if directives.chunks is None else directives.chunks)
    finish = "tool_calls" if tool_calls else "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and count_words(text) > limit:
        text, finish = "".join(split_words(text)[:limit]).strip(), "length"
    refusal = None
    if directives.finish == "refusal":
        text, refusal, finish = "", REFUSAL_TEXT, "stop"
    elif directives.finish:
        finish = directives.finish
    content = text if text or not (tool_calls or refusal) else None
    return Answer(content=content, refusal=refusal, finish_reason=finish, tool_calls=tool_calls)


def _structured_text(response_format: Any) -> str | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(sample_for_schema(schema))
    if response_format.get("type") == "json_object":
        return json.dumps({"answer": content_text(DEFAULT_CHUNKS)})
    return None


def _tool_call(call: Call, index: int) -> ToolCall:
    tools = [tool.get("function", {}) for tool in call.body.get("tools") or [] if isinstance(tool, dict)]
    tool = tools[index % len(tools)] if tools else {}
    arguments = tool_arguments(index, tool.get("parameters"))
    return ToolCall(
        id=call.make_id("call_", index), name=tool.get("name") or TOOL_NAME, arguments=json.dumps(arguments)
    )


def completion_object(call: Call, answer: Answer) -> dict[str, Any]:
    choices = [
        {"index": index, "message": _message(answer), "logprobs": None, "finish_reason": answer.finish_reason}
        for index in range(_choice_count(call))
    ]
    return {
        "id": call.make_id("chatcmpl-"),
        "object": "chat.completion",
        "created": call.created,
        "model": dated_model(str(call.body.get("model", ""))),
        "choices": choices,
        "usage": usage_object(call, answer),
        "service_tier": _service_tier(call.body),
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _message(answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": tool.id, "type": "function", "function": {"name": tool.name, "arguments": tool.arguments}}
            for tool in answer.tool_calls
        ]
    message["refusal"] = answer.refusal
    message["annotations"] = []
    return message


def usage_object(call: Call, answer: Answer) -> dict[str, Any]:
    directives = call.directives
    prompt = message_tokens(call.body.get("messages")) + directives.cached + directives.cache_write
    completion = _choice_count(call) * answer.output_tokens + directives.reasoning
    prompt_details: dict[str, int] = {"cached_tokens": directives.cached, "audio_tokens": 0}
    if directives.cache_write:
        prompt_details["cache_write_tokens"] = directives.cache_write
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": directives.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def stream_frames(call: Call, completion: dict[str, Any], answer: Answer) -> list[Frame]:
    options = call.body.get("stream_options") or {}
    include_usage = bool(options.get("include_usage"))
    obfuscate = options.get("include_obfuscation", True) is not False
    header = {key: completion[key] for key in ("id", "created", "model", "service_tier", "system_fingerprint")}

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None, is_content: bool) -> Frame:
        payload: dict[str, Any] = {"id": header["id"], "object": "chat.completion.chunk"}
        payload.update({key: header[key] for key in ("created", "model", "service_tier", "system_fingerprint")})
        payload["choices"] = choices
        if include_usage:
            payload["usage"] = usage
        if obfuscate:
            payload["obfuscation"] = "fake"
        return sse_data(payload, is_content=is_content)

    per_choice = [_choice_deltas(index, answer) for index in range(_choice_count(call))]
    frames = [
        chunk([choice], None, is_content)
        for step in zip_longest(*per_choice)
        for choice, is_content in step
        if choice is not None
    ]
    if include_usage:
        frames.append(chunk([], completion["usage"], False))
    frames.append(sse_done())
    return frames


def _choice_deltas(index: int, answer: Answer) -> list[tuple[dict[str, Any], bool]]:
    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}

    if answer.refusal is not None:
        first: dict[str, Any] = {"role": "assistant", "content": None, "refusal": ""}
    elif answer.content is None:
        first = {"role": "assistant", "content": None}
    else:
        first = {"role": "assistant", "content": "", "refusal": None}
    deltas = [(choice(first), False)]
    deltas += [(choice({"content": piece}), True) for piece in split_words(answer.content or "")]
    deltas += [(choice({"refusal": piece}), True) for piece in split_words(answer.refusal or "")]
    for position, tool in enumerate(answer.tool_calls):
        opening = {
            "index": position,
            "id": tool.id,
            "type": "function",
            "function": {"name": tool.name, "arguments": ""},
        }
        deltas.append((choice({"tool_calls": [opening]}), True))
        for fragment in split_fixed(tool.arguments):
            deltas.append((choice({"tool_calls": [{"index": position, "function": {"arguments": fragment}}]}), True))
    deltas.append((choice({}, answer.finish_reason), False))
    return deltas


def _choice_count(call: Call) -> int:
    count = call.body.get("n")
    return count if isinstance(count, int) and count > 0 else 1


def _service_tier(body: dict[str, Any]) -> str:
    tier = body.get("service_tier")
    return tier if isinstance(tier, str) and tier != "auto" else "default"
