"""OpenAI Responses API: the SSE events that stream a ``response`` object."""

from __future__ import annotations

from typing import Any

from genai_otel.testing.fake_llm._responses_object import with_status
from genai_otel.testing.fake_llm._text import split_fixed, split_words

Event = tuple[str, dict[str, Any], bool]
"""(event type, payload without sequence_number, carries generated output)"""
_TERMINAL_EVENTS = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}


def response_events(response: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """Every event for ``response`` as ``(payload, carries output)``; payloads are numbered by ``sequence_number``.

    Field order is the API's: ``type`` first, the rest alphabetical. Stream snapshots carry no ``billing``.
    """
    snapshot = {key: value for key, value in response.items() if key != "billing"}
    opening_status = "queued" if response.get("background") else "in_progress"
    events: list[Event] = [("response.created", {"response": with_status(snapshot, opening_status)}, False)]
    if opening_status == "queued":
        events.append(("response.queued", {"response": with_status(snapshot, "queued")}, False))
    events.append(("response.in_progress", {"response": with_status(snapshot, "in_progress")}, False))
    for output_index, item in enumerate(response["output"]):
        events += _item_events(output_index, item)
    terminal = _TERMINAL_EVENTS.get(response["status"], "response.completed")
    events.append((terminal, {"response": snapshot}, False))
    return [
        ({"type": event_type, **dict(sorted({**fields, "sequence_number": number}.items()))}, is_content)
        for number, (event_type, fields, is_content) in enumerate(events)
    ]


def _item_events(output_index: int, item: dict[str, Any]) -> list[Event]:
    opened = {"output_index": output_index}
    if item["type"] == "message":
        added = dict(item, status="in_progress", content=[])
        events: list[Event] = [("response.output_item.added", {**opened, "item": added}, False)]
        for content_index, part in enumerate(item["content"]):
            events += _part_events(output_index, item["id"], content_index, part)
    elif item["type"] == "function_call":
        added = dict(item, status="in_progress", arguments="")
        events = [("response.output_item.added", {**opened, "item": added}, False)]
        where = {"item_id": item["id"], "output_index": output_index}
        events += [
            ("response.function_call_arguments.delta", {**where, "delta": piece, "obfuscation": "fake"}, True)
            for piece in split_fixed(item["arguments"])
        ]
        events.append(("response.function_call_arguments.done", {**where, "arguments": item["arguments"]}, False))
    else:
        events = [("response.output_item.added", {**opened, "item": item}, False)]
    events.append(("response.output_item.done", {**opened, "item": item}, False))
    return events


def _part_events(output_index: int, item_id: str, content_index: int, part: dict[str, Any]) -> list[Event]:
    where = {"content_index": content_index, "item_id": item_id, "output_index": output_index}
    if part["type"] == "refusal":
        empty: dict[str, Any] = {"type": "refusal", "refusal": ""}
        deltas: list[Event] = [
            ("response.refusal.delta", {**where, "delta": piece}, True) for piece in split_words(part["refusal"])
        ]
        done: Event = ("response.refusal.done", {**where, "refusal": part["refusal"]}, False)
    else:
        empty = dict(part, text="")
        deltas = [
            ("response.output_text.delta", {**where, "delta": piece, "logprobs": [], "obfuscation": "fake"}, True)
            for piece in split_words(part["text"])
        ]
        done = ("response.output_text.done", {**where, "logprobs": [], "text": part["text"]}, False)
    return [
        ("response.content_part.added", {**where, "part": empty}, False),
        *deltas,
        done,
        ("response.content_part.done", {**where, "part": part}, False),
    ]
