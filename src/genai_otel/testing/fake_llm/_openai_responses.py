"""OpenAI Responses API endpoints: create (JSON / SSE, background), retrieve (JSON / SSE replay) and cancel."""

from __future__ import annotations

from typing import Any

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._errors import OPENAI, error_reply
from genai_otel.testing.fake_llm._replies import Reply, json_reply, sse_event, sse_stream
from genai_otel.testing.fake_llm._responses_events import response_events
from genai_otel.testing.fake_llm._responses_object import response_object, with_status

_PENDING = ("queued", "in_progress")


def create_response(call: Call) -> Reply:
    final = response_object(call)
    requested = call.directives.response_status
    opening = requested if requested in _PENDING else ("queued" if final["background"] else None)
    if call.body.get("store", True) is not False:
        later = ["in_progress"] if opening == "queued" and not call.stream else []
        with call.state.lock:
            call.state.responses[final["id"]] = {"final": final, "pending": later}
    if call.stream:
        return _stream(final, starting_after=-1)
    return json_reply(with_status(final, opening) if opening else final)


def retrieve_response(call: Call) -> Reply:
    """Each GET of a pending response advances it one step (queued -> in_progress -> final); then it stays final."""
    response_id = call.path_params["response_id"]
    with call.state.lock:
        entry = call.state.responses.get(response_id)
        if entry is None:
            return _not_found(call, response_id)
        status = entry["pending"].pop(0) if entry["pending"] else None
        final: dict[str, Any] = entry["final"]
    if call.request.query.get("stream") == "true":
        starting_after = int(call.request.query.get("starting_after") or -1)
        return _stream(final, starting_after=starting_after)
    return json_reply(with_status(final, status) if status else final)


def cancel_response(call: Call) -> Reply:
    response_id = call.path_params["response_id"]
    with call.state.lock:
        entry = call.state.responses.get(response_id)
        if entry is None:
            return _not_found(call, response_id)
        entry["final"] = with_status(entry["final"], "cancelled")
        entry["pending"] = []
        cancelled = entry["final"]
    return json_reply(cancelled)


def _stream(final: dict[str, Any], *, starting_after: int) -> Reply:
    frames = [
        sse_event(payload["type"], payload, is_content=is_content)
        for payload, is_content in response_events(final)
        if payload["sequence_number"] > starting_after
    ]
    return sse_stream(frames)


def _not_found(call: Call, response_id: str) -> Reply:
    message = f"Response with id '{response_id}' not found."
    return error_reply(OPENAI, 404, request_id=call.request_id, message=message, code=None)
