"""Error responses in each provider's own shape."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from genai_otel.testing.fake_llm._replies import BodyReply, json_reply

OPENAI = "openai"
ANTHROPIC = "anthropic"
BEDROCK = "bedrock"
VERTEX = "vertex"

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_BEDROCK_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_GOOGLE_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_RETRYABLE = frozenset({408, 409, 429})
_UNSET: Any = object()


def error_reply(
    provider: str, status: int, *, request_id: str, message: str | None = None, model: str = "", code: Any = _UNSET
) -> BodyReply:
    """The provider's error body and headers for ``status``. 429s carry ``retry-after: 0``.

    ``code`` overrides the OpenAI ``error.code`` chosen from the status.
    """
    text = message or _default_message(status, model)
    headers: dict[str, str] = {}
    if status == 429:
        headers["retry-after"] = "0"
    if provider == ANTHROPIC:
        body: Any = {
            "type": "error",
            "error": {"type": _anthropic_type(status), "message": text},
            "request_id": request_id,
        }
        headers["x-should-retry"] = "true" if status in _RETRYABLE or status >= 500 else "false"
    elif provider == BEDROCK:
        kind = _BEDROCK_TYPES.get(status, "InternalServerException" if status >= 500 else "ValidationException")
        body = {"message": text}
        headers["x-amzn-errortype"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    elif provider == VERTEX:
        google_status = _GOOGLE_STATUSES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        body = {"error": {"code": status, "message": text, "status": google_status}}
    else:
        body = {"error": _openai_error(status, text)}
        if code is not _UNSET:
            body["error"]["code"] = code
    reply = json_reply(body, status=status, pretty=provider in (OPENAI, VERTEX), newline=True, headers=headers)
    if provider == OPENAI:
        reply.headers["content-type"] = "application/json; charset=utf-8"
    return reply


def _openai_error(status: int, message: str) -> dict[str, Any]:
    if status == 429:
        return {"message": message, "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    if status == 401:
        return {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
    if status == 404:
        return {"message": message, "type": "invalid_request_error", "param": None, "code": "model_not_found"}
    if status >= 500:
        return {"message": message, "type": "server_error", "param": None, "code": None}
    return {"message": message, "type": "invalid_request_error", "param": None, "code": None}


def _anthropic_type(status: int) -> str:
    return _ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def _default_message(status: int, model: str) -> str:
    if status == 429:
        return f"fake-llm: rate limit reached for {model or 'this model'}; please try again later."
    if status == 404:
        return f"fake-llm: the model `{model}` does not exist or you do not have access to it."
    if status >= 500:
        return "fake-llm: the server had an error while processing your request."
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"fake-llm: forced {status} ({phrase})."
