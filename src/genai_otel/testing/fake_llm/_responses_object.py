"""OpenAI Responses API: build the ``response`` object for a create call."""

from __future__ import annotations

import json
from typing import Any

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._openai_chat import REFUSAL_TEXT
from genai_otel.testing.fake_llm._schema import sample_for_schema
from genai_otel.testing.fake_llm._text import (
    DEFAULT_CHUNKS,
    TOKENS_PER_MESSAGE,
    TOOL_NAME,
    compact_json,
    content_text,
    count_words,
    dated_model,
    message_tokens,
    split_words,
    tool_arguments,
    words_in,
)

TERMINAL_STATUSES = ("completed", "incomplete", "failed", "cancelled")
FAILED_ERROR = {"code": "server_error", "message": "The model failed to generate a response."}


def response_object(call: Call) -> dict[str, Any]:
    """The finished response (its terminal status); pending statuses are derived from it by :func:`with_status`."""
    body, directives = call.body, call.directives
    items: list[dict[str, Any]] = []
    if directives.reasoning:
        items.append({"id": call.make_id("rs_"), "type": "reasoning", "summary": []})
    calls = [_function_call(call, index) for index in range(directives.tool_calls)]
    text = _structured_text(body.get("text"))
    if text is None:
        text = content_text(directives.chunks if directives.chunks is not None else (0 if calls else DEFAULT_CHUNKS))
    status = "completed"
    limit = body.get("max_output_tokens")
    if isinstance(limit, int) and count_words(text) > limit:
        text, status = "".join(split_words(text)[:limit]).strip(), "incomplete"
    if directives.response_status in TERMINAL_STATUSES:
        status = directives.response_status
    if directives.finish == "refusal":
        items.append(_message_item(call, {"type": "refusal", "refusal": REFUSAL_TEXT}, status))
    elif text or not calls:
        items.append(
            _message_item(call, {"type": "output_text", "annotations": [], "logprobs": [], "text": text}, status)
        )
    items.extend(calls)
    output_tokens = sum(_item_words(item) for item in items) + directives.reasoning
    response = _envelope(call)
    response.update(status=status, completed_at=call.created, output=items, usage=_usage(call, output_tokens))
    if status == "incomplete":
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    if status in ("failed", "cancelled"):
        response.update(output=[], usage=None, completed_at=None)
    if status == "failed":
        response["error"] = dict(FAILED_ERROR)
    return response


def with_status(response: dict[str, Any], status: str) -> dict[str, Any]:
    """``response`` as it looks while still ``queued`` / ``in_progress``, or after being ``cancelled``."""
    pending = dict(response, status=status, output=[], usage=None, completed_at=None, error=None)
    pending["incomplete_details"] = None
    return pending


def _envelope(call: Call) -> dict[str, Any]:
    body = call.body
    reasoning = _mapping(body.get("reasoning"))
    text_config = _mapping(body.get("text"))
    return {
        "id": call.make_id("resp_"),
        "object": "response",
        "created_at": call.created,
        "status": "completed",
        "background": bool(body.get("background")),
        "billing": {"payer": "developer"},
        "completed_at": None,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": dated_model(str(body.get("model", ""))),
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "presence_penalty": 0.0,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": "in_memory",
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": body.get("service_tier") if body.get("service_tier") not in (None, "auto") else "default",
        "store": body.get("store", True),
        "temperature": float(body.get("temperature", 1.0)),
        "text": {"format": text_config.get("format") or {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": float(body.get("top_p", 1.0)),
        "truncation": body.get("truncation") or "disabled",
        "usage": None,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _structured_text(text_config: Any) -> str | None:
    response_format = text_config.get("format") if isinstance(text_config, dict) else None
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        return compact_json(sample_for_schema(response_format.get("schema") or {}))
    if response_format.get("type") == "json_object":
        return compact_json({"answer": content_text(DEFAULT_CHUNKS)})
    return None


def _message_item(call: Call, part: dict[str, Any], status: str) -> dict[str, Any]:
    item_status = "incomplete" if status == "incomplete" else "completed"
    return {
        "id": call.make_id("msg_"),
        "type": "message",
        "status": item_status,
        "content": [part],
        "role": "assistant",
    }


def _function_call(call: Call, index: int) -> dict[str, Any]:
    tools = [tool for tool in call.body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]
    tool = tools[index % len(tools)] if tools else {}
    return {
        "id": call.make_id("fc_", index),
        "type": "function_call",
        "status": "completed",
        "arguments": json.dumps(tool_arguments(index, tool.get("parameters"))),
        "call_id": call.make_id("call_", index),
        "name": tool.get("name") or TOOL_NAME,
    }


def _item_words(item: dict[str, Any]) -> int:
    if item["type"] == "function_call":
        return count_words(item["arguments"])
    if item["type"] == "message":
        return sum(count_words(part.get("text") or part.get("refusal") or "") for part in item["content"])
    return 0


def input_tokens(body: dict[str, Any]) -> int:
    """3 + words per input item (a plain-string input is one message); instructions count as one more message."""
    source = body.get("input")
    instructions = body.get("instructions")
    if isinstance(source, str):
        return message_tokens([{"content": source}], system=instructions)
    if isinstance(source, list):
        return message_tokens(source, system=instructions)
    return TOKENS_PER_MESSAGE + words_in(instructions) if instructions else 0


def _usage(call: Call, output_tokens: int) -> dict[str, Any]:
    directives = call.directives
    prompt = input_tokens(call.body) + directives.cached + directives.cache_write
    input_details: dict[str, int] = {"cached_tokens": directives.cached}
    if directives.cache_write:
        input_details["cache_write_tokens"] = directives.cache_write
    return {
        "input_tokens": prompt,
        "input_tokens_details": input_details,
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": directives.reasoning},
        "total_tokens": prompt + output_tokens,
    }
