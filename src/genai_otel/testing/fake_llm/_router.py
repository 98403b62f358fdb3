"""Route a request to its endpoint, apply the failure directives and stamp the provider's headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from genai_otel.testing.fake_llm._anthropic_endpoints import bedrock_invoke, messages, vertex_predict
from genai_otel.testing.fake_llm._azure_openai import AZURE_OPENAI_PATHS
from genai_otel.testing.fake_llm._call import Call, RecordedRequest, ServerState
from genai_otel.testing.fake_llm._directives import DIRECTIVE_HEADER, DirectiveError, Directives, parse_directives
from genai_otel.testing.fake_llm._errors import ANTHROPIC, BEDROCK, OPENAI, VERTEX, error_reply
from genai_otel.testing.fake_llm._headers import provider_headers
from genai_otel.testing.fake_llm._openai_chat import chat_completion
from genai_otel.testing.fake_llm._openai_legacy import embeddings, text_completion
from genai_otel.testing.fake_llm._openai_responses import cancel_response, create_response, retrieve_response
from genai_otel.testing.fake_llm._replies import BodyReply, DropConnection, Reply, StreamReply

Handler = Callable[[Call], Reply]
_VERTEX_PATH = (
    r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/anthropic/models/(?P<model>[^/:]+):(?P<specifier>rawPredict|streamRawPredict)"
)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    provider: str
    handler: Handler


def _route(method: str, path: str, provider: str, handler: Handler) -> Route:
    return Route(method, re.compile(path + r"/?"), provider, handler)


ROUTES = (
    _route("POST", r"/v1/chat/completions", OPENAI, chat_completion),
    _route("POST", r"/v1/responses", OPENAI, create_response),
    _route("GET", r"/v1/responses/(?P<response_id>[^/]+)", OPENAI, retrieve_response),
    _route("POST", r"/v1/responses/(?P<response_id>[^/]+)/cancel", OPENAI, cancel_response),
    _route("POST", r"/v1/embeddings", OPENAI, embeddings),
    _route("POST", r"/v1/completions", OPENAI, text_completion),
    _route("POST", r"/v1/messages", ANTHROPIC, messages),
    _route("POST", r"/model/(?P<model>[^/]+)/invoke(?:-with-response-stream)?", BEDROCK, bedrock_invoke),
    _route("POST", _VERTEX_PATH, VERTEX, vertex_predict),
    *(_route(method, path, OPENAI, handler) for method, path, handler in AZURE_OPENAI_PATHS),
)


@dataclass
class Delivery:
    """A reply plus its pacing: wait before the first byte, between stream frames, and where to cut a stream."""

    reply: Reply
    delay_s: float = 0.0
    frame_delay_s: float = 0.0
    break_after: int | None = None


def dispatch(request: RecordedRequest, raw_body: bytes, state: ServerState) -> Delivery:
    route, params = _match(request)
    provider = route.provider if route else _guess_provider(request.path)
    body = request.body if isinstance(request.body, dict) else {}
    try:
        directives = parse_directives(request.headers.get(DIRECTIVE_HEADER))
    except DirectiveError as error:
        call = Call(request, body, Directives(), state, state.next_sequence())
        return Delivery(_error(call, provider, 400, str(error)))
    call = Call(request, body, directives, state, state.next_sequence(), path_params=params)
    if raw_body.strip() and not isinstance(request.body, dict):
        return _paced(call, _error(call, provider, 400, "fake-llm: the request body is not a JSON object."))
    if route is None:
        return _paced(call, _error(call, provider, 404, f"Invalid URL ({request.method} {request.path})"))
    failure = _forced_failure(call, provider, raw_body)
    if failure is not None:
        return _paced(call, failure)
    reply = route.handler(call)
    if isinstance(reply, (BodyReply, StreamReply)):
        reply.headers = {**provider_headers(provider, call, status=_status_of(reply)), **reply.headers}
    if call.directives.break_after is not None and isinstance(reply, BodyReply) and reply.status < 400:
        reply = DropConnection()
    return _paced(call, reply)


def _match(request: RecordedRequest) -> tuple[Route | None, dict[str, str]]:
    for route in ROUTES:
        if route.method != request.method:
            continue
        found = route.pattern.fullmatch(request.path)
        if found:
            return route, found.groupdict()
    return None, {}


def _guess_provider(path: str) -> str:
    if path.startswith("/model/"):
        return BEDROCK
    if "/publishers/anthropic/" in path:
        return VERTEX
    return ANTHROPIC if path.startswith("/v1/messages") else OPENAI


def _forced_failure(call: Call, provider: str, raw_body: bytes) -> BodyReply | None:
    directives = call.directives
    if directives.fail_first:
        key = (call.request.headers.get(DIRECTIVE_HEADER, ""), call.request.method, call.request.path, raw_body.hex())
        if call.state.count_attempt(key) <= directives.fail_first:
            return _error(call, provider, directives.fail_status)
    if directives.status is not None and directives.status >= 400:
        return _error(call, provider, directives.status)
    return None


def _error(call: Call, provider: str, status: int, message: str | None = None) -> BodyReply:
    model = str(call.body.get("model") or call.path_params.get("model") or "")
    reply = error_reply(provider, status, request_id=call.request_id, message=message, model=model)
    reply.headers = {**provider_headers(provider, call, status=status), **reply.headers}
    if call.directives.retry_after_ms is not None:
        reply.headers["retry-after-ms"] = str(call.directives.retry_after_ms)
    return reply


def _status_of(reply: Any) -> int:
    return int(getattr(reply, "status", 200))


def _paced(call: Call, reply: Reply) -> Delivery:
    directives = call.directives
    return Delivery(
        reply=reply,
        delay_s=directives.delay_ms / 1000,
        frame_delay_s=directives.chunk_delay_ms / 1000,
        break_after=directives.break_after,
    )
