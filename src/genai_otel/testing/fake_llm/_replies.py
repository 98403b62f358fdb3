"""What an endpoint hands back to the HTTP layer: a whole JSON body, or a stream of frames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Union

from genai_otel.testing.fake_llm._text import compact_json

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class Frame:
    """One write to the wire. ``is_content`` marks frames that carry generated output (break_after counts them)."""

    data: bytes
    is_content: bool = False


@dataclass
class BodyReply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply:
    frames: list[Frame]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass
class DropConnection:
    """Close the connection without answering (a non-streaming ``break_after``)."""


Reply = Union[BodyReply, StreamReply, DropConnection]  # noqa: UP007 (a runtime alias, Python 3.10 safe)


def json_reply(
    payload: Any,
    *,
    status: int = 200,
    pretty: bool = True,
    newline: bool = False,
    headers: dict[str, str] | None = None,
) -> BodyReply:
    """A JSON body. OpenAI pretty-prints with two-space indents (chat and embeddings end in a newline).

    Anthropic and Bedrock send compact JSON.
    """
    text = json.dumps(payload, indent=2, ensure_ascii=False) if pretty else compact_json(payload)
    text += "\n" if newline else ""
    merged = {"content-type": "application/json"}
    merged.update(headers or {})
    return BodyReply(status=status, body=text.encode("utf-8"), headers=merged)


def sse_data(payload: Any, *, is_content: bool = False) -> Frame:
    """A data-only SSE event (OpenAI chat and legacy completions)."""
    return Frame(f"data: {compact_json(payload)}\n\n".encode(), is_content)


def sse_done() -> Frame:
    return Frame(b"data: [DONE]\n\n")


def sse_event(event: str, payload: Any, *, is_content: bool = False) -> Frame:
    """A named SSE event (Anthropic Messages, OpenAI Responses)."""
    return Frame(f"event: {event}\ndata: {compact_json(payload)}\n\n".encode(), is_content)


def sse_stream(frames: list[Frame], headers: dict[str, str] | None = None) -> StreamReply:
    merged = {"content-type": SSE_CONTENT_TYPE}
    merged.update(headers or {})
    return StreamReply(frames=frames, headers=merged)
