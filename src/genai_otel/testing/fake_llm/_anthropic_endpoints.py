"""Anthropic Messages over its three front doors: first-party ``/v1/messages``, Bedrock invoke, Vertex rawPredict."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from genai_otel.testing.fake_llm._anthropic import message_events, message_object
from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._eventstream import bedrock_chunk
from genai_otel.testing.fake_llm._replies import Frame, Reply, StreamReply, json_reply, sse_event, sse_stream

EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
_BEDROCK_MODEL = re.compile(r"^(?:[a-z]{2,4}\.)?anthropic\.(?P<name>.+?)(?:-v\d+(?::\d+)?)?$")


def messages(call: Call) -> Reply:
    message = message_object(call)
    if not call.stream:
        return json_reply(message, pretty=False)
    frames = [sse_event(name, payload, is_content=is_content) for name, payload, is_content in message_events(message)]
    return sse_stream(frames, headers={"cache-control": "no-cache"})


def vertex_predict(call: Call) -> Reply:
    """``.../publishers/anthropic/models/{model}:rawPredict`` (JSON) and ``:streamRawPredict`` (SSE)."""
    call.body = {**call.body, "model": unquote(call.path_params["model"])}
    if call.path_params["specifier"] == "streamRawPredict":
        call.body["stream"] = True
    return messages(call)


def bedrock_invoke(call: Call) -> Reply:
    model_id = unquote(call.path_params["model"])
    call.body = {**call.body, "model": bedrock_model_name(model_id)}
    message = message_object(call)
    usage = message["usage"]
    if not call.request.path.endswith("/invoke-with-response-stream"):
        return json_reply(message, pretty=False, headers=_bedrock_headers(call, usage))
    frames = []
    for _name, payload, is_content in message_events(message, ping=False):
        if payload["type"] == "message_stop":
            payload = {**payload, "amazon-bedrock-invocationMetrics": _invocation_metrics(call, usage)}
        frames.append(Frame(bedrock_chunk(payload), is_content))
    headers = {"content-type": EVENTSTREAM_CONTENT_TYPE, "x-amzn-bedrock-content-type": "application/json"}
    return StreamReply(frames=frames, headers=headers)


def bedrock_model_name(model_id: str) -> str:
    """``us.anthropic.claude-3-5-sonnet-20241022-v2:0`` -> ``claude-3-5-sonnet-20241022``; anything else as is."""
    match = _BEDROCK_MODEL.match(model_id)
    return match.group("name") if match else model_id


def _bedrock_headers(call: Call, usage: dict[str, Any]) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-amzn-bedrock-invocation-latency": str(max(1, call.directives.delay_ms)),
        "x-amzn-bedrock-input-token-count": str(usage["input_tokens"]),
        "x-amzn-bedrock-output-token-count": str(usage["output_tokens"]),
    }


def _invocation_metrics(call: Call, usage: dict[str, Any]) -> dict[str, int]:
    return {
        "inputTokenCount": usage["input_tokens"],
        "outputTokenCount": usage["output_tokens"],
        "invocationLatency": max(1, call.directives.delay_ms),
        "firstByteLatency": max(1, call.directives.delay_ms),
    }
