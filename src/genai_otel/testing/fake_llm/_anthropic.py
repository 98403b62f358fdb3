"""Anthropic Messages: the ``message`` object and its event stream (first-party, Bedrock and Vertex share these)."""

from __future__ import annotations

import json
from typing import Any

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._schema import sample_for_schema
from genai_otel.testing.fake_llm._text import (
    DEFAULT_CHUNKS,
    TOOL_NAME,
    compact_json,
    content_text,
    count_words,
    dated_model,
    message_tokens,
    split_fixed,
    split_words,
    tool_arguments,
)

THINKING_SIGNATURE = "ZmFrZS1sbG0tdGhpbmtpbmctc2lnbmF0dXJl"
DEFAULT_THINKING_WORDS = 8
Event = tuple[str, dict[str, Any], bool]
"""(event name, payload, carries generated output)"""


def message_object(call: Call) -> dict[str, Any]:
    """The complete ``message`` a non-streaming call returns (and a stream adds up to)."""
    body, directives = call.body, call.directives
    blocks: list[dict[str, Any]] = []
    if _thinking_requested(call):
        thinking = content_text(directives.reasoning or DEFAULT_THINKING_WORDS, stem="thought")
        blocks.append({"type": "thinking", "thinking": thinking, "signature": THINKING_SIGNATURE})
    tool_blocks = [_tool_use_block(call, index) for index in range(directives.tool_calls)]
    text = _structured_text(body)
    if text is None:
        text = content_text(
            directives.chunks if directives.chunks is not None else (0 if tool_blocks else DEFAULT_CHUNKS)
        )
    stop_reason = "tool_use" if tool_blocks else "end_turn"
    limit = body.get("max_tokens")
    if isinstance(limit, int) and count_words(text) > limit:
        text, stop_reason = "".join(split_words(text)[:limit]).strip(), "max_tokens"
    if text or not tool_blocks:
        blocks.append({"type": "text", "text": text})
    blocks.extend(tool_blocks)
    stop_reason = directives.finish or stop_reason
    return {
        "model": dated_model(str(body.get("model", ""))),
        "id": call.make_id("msg_"),
        "type": "message",
        "role": "assistant",
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": _stop_sequence(body) if stop_reason == "stop_sequence" else None,
        "stop_details": {"type": "refusal", "category": None, "explanation": None}
        if stop_reason == "refusal"
        else None,
        "usage": _usage(call, _output_tokens(blocks)),
    }


def _thinking_requested(call: Call) -> bool:
    thinking = call.body.get("thinking")
    enabled = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    return enabled or call.directives.reasoning > 0


def _structured_text(body: dict[str, Any]) -> str | None:
    output_format = (body.get("output_config") or {}).get("format") or body.get("output_format")
    if isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        return compact_json(sample_for_schema(output_format.get("schema") or {}))
    return None


def _tool_use_block(call: Call, index: int) -> dict[str, Any]:
    tools = [tool for tool in call.body.get("tools") or [] if isinstance(tool, dict) and tool.get("name")]
    tool = tools[index % len(tools)] if tools else {}
    return {
        "type": "tool_use",
        "id": call.make_id("toolu_", index),
        "name": tool.get("name") or TOOL_NAME,
        "input": tool_arguments(index, tool.get("input_schema")),
        "caller": {"type": "direct"},
    }


def _stop_sequence(body: dict[str, Any]) -> str:
    sequences = body.get("stop_sequences")
    return sequences[0] if isinstance(sequences, list) and sequences else "STOP"


def _output_tokens(blocks: list[dict[str, Any]]) -> int:
    total = 0
    for block in blocks:
        if block["type"] == "tool_use":
            total += count_words(json.dumps(block["input"]))
        else:
            total += count_words(block.get("text") or block.get("thinking") or "")
    return total


def _usage(call: Call, output_tokens: int) -> dict[str, Any]:
    directives = call.directives
    return {
        "input_tokens": message_tokens(call.body.get("messages"), system=call.body.get("system")),
        "cache_creation_input_tokens": directives.cache_write,
        "cache_read_input_tokens": directives.cached,
        "cache_creation": {"ephemeral_5m_input_tokens": directives.cache_write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
        "inference_geo": "not_available",
    }


def message_events(message: dict[str, Any], *, ping: bool = True) -> list[Event]:
    """The SSE events a streaming call sends for ``message``, in the API's order."""
    usage = message["usage"]
    start = {key: value for key, value in message.items() if key != "content"}
    start.update(content=[], stop_reason=None, stop_sequence=None, stop_details=None)
    start["usage"] = dict(usage, output_tokens=1)
    events: list[Event] = [("message_start", {"type": "message_start", "message": start}, False)]
    for index, block in enumerate(message["content"]):
        events.append(("content_block_start", _block_start(index, block), False))
        if index == 0 and ping:
            events.append(("ping", {"type": "ping"}, False))
        events += [("content_block_delta", _delta(index, delta), True) for delta in _block_deltas(block)]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}, False))
    delta: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    if message.get("stop_details"):
        delta["stop_details"] = message["stop_details"]
    final_usage = {
        key: usage[key] for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    }
    final_usage["output_tokens"] = usage["output_tokens"]
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage}, False))
    events.append(("message_stop", {"type": "message_stop"}, False))
    return events


def _block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    if block["type"] == "thinking":
        empty: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
    elif block["type"] == "tool_use":
        empty = dict(block, input={})
    else:
        empty = {"type": "text", "text": ""}
    return {"type": "content_block_start", "index": index, "content_block": empty}


def _block_deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": piece} for piece in split_words(block["thinking"])]
        return deltas + [{"type": "signature_delta", "signature": block["signature"]}]
    if block["type"] == "tool_use":
        fragments = [""] + split_fixed(json.dumps(block["input"]))
        return [{"type": "input_json_delta", "partial_json": fragment} for fragment in fragments]
    return [{"type": "text_delta", "text": piece} for piece in split_words(block["text"])]


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}
