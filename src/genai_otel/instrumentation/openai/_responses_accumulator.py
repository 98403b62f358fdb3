"""Reading OpenAI ``Response`` objects, whole or as an event stream, into neutral records.

Every status is reported, not only ``completed`` (``gen_ai.response.status`` carries it as sent):

==============  ====================================  ==========================================================
status          ``gen_ai.response.finish_reasons``    span status / ``error.type``
==============  ====================================  ==========================================================
completed       ``tool_call`` when the output asks    unset
                the client to run a tool, else
                ``stop``
incomplete      ``incomplete_details.reason``,        unset
                normalised (max_output_tokens ->
                ``length``, content_filter)
failed          ``error``                             ERROR, ``error.type`` = the response's ``error.code``
                                                      (``_OTHER`` when it has none)
cancelled       ``cancelled``                         unset: the caller asked for it
queued,         none (nothing has finished yet)       unset
in_progress
==============  ====================================  ==========================================================

A *fetched* response (``responses.retrieve``, operation ``fetch_response``) reports the same status and finish
reason but no token usage (the tokens belong to the call that generated it) and no error for a failed generation:
per the GenAI conventions only a failure of the fetch itself is an error of that span.
"""

from __future__ import annotations

from typing import Any

from genai_otel.genai import semconv as sc
from genai_otel.genai.stream import LAST_CHUNK
from genai_otel.genai.types import Attributes, GenAIResponse, Usage, normalize_finish_reason
from genai_otel.instrumentation.openai._responses_content import ResponsesOutput
from genai_otel.instrumentation.openai._usage import _field

__all__ = ["ResponsesStreamAccumulator", "response_record", "responses_usage"]

# Output items by which the model hands control back to the client to run something; hosted tools
# (web_search_call, file_search_call, code_interpreter_call, mcp_call, ...) ran on the server and do not.
_CLIENT_TOOL_CALLS = frozenset({
    "function_call", "custom_tool_call", "computer_call", "local_shell_call", "shell_call", "apply_patch_call",
    "mcp_approval_request",
})  # fmt: skip
_LIFECYCLE_EVENTS = frozenset({
    "response.created", "response.queued", "response.in_progress",
    "response.completed", "response.incomplete", "response.failed",
})  # fmt: skip
_TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_UNKNOWN_ERROR = "_OTHER"


def responses_usage(usage: Any) -> Usage | None:
    """Responses usage -> neutral usage (``input_tokens`` already includes the cached ones)."""
    if usage is None:
        return None
    input_details = getattr(usage, "input_tokens_details", None)
    output_details = getattr(usage, "output_tokens_details", None)
    return Usage(
        input_tokens=getattr(usage, "input_tokens", None),
        output_tokens=getattr(usage, "output_tokens", None),
        cache_read_input_tokens=_field(input_details, "cached_tokens") if input_details else None,
        reasoning_output_tokens=_field(output_details, "reasoning_tokens") if output_details else None,
    )


def _finish_reasons(status: str | None, response: Any) -> tuple[str, ...]:
    if status == "completed":
        output = getattr(response, "output", None) or ()
        asks_client = any(getattr(item, "type", None) in _CLIENT_TOOL_CALLS for item in output)
        return ("tool_call",) if asks_client else ("stop",)
    if status == "incomplete":
        reason = getattr(getattr(response, "incomplete_details", None), "reason", None)
        return (normalize_finish_reason(reason) if reason else "incomplete",)
    if status == "failed":
        return ("error",)
    if status == "cancelled":
        return ("cancelled",)
    return ()


def response_record(response: Any, *, fetched: bool) -> GenAIResponse:
    """One ``Response`` (or ``ParsedResponse``) as a neutral record; see the module docstring for statuses."""
    status = getattr(response, "status", None)
    attributes: Attributes = {}
    if status:
        attributes[sc.RESPONSE_STATUS] = str(status)
    tier = getattr(response, "service_tier", None)
    if tier:
        attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = str(tier)
    record = GenAIResponse(
        response_id=getattr(response, "id", None),
        model=getattr(response, "model", None),
        finish_reasons=_finish_reasons(status, response),
        usage=None if fetched else responses_usage(getattr(response, "usage", None)),
        attributes=attributes,
    )
    if status == "failed" and not fetched:
        error = getattr(response, "error", None)
        record.error_type = getattr(error, "code", None) or _UNKNOWN_ERROR
        record.error_message = getattr(error, "message", None) or None
    return record


class ResponsesStreamAccumulator:
    """Keeps the latest ``Response`` snapshot a lifecycle event carried, and an ``error`` event if one came.

    The terminal events (``response.completed`` / ``.incomplete`` / ``.failed``) end the invocation at once.
    """

    __slots__ = ("_error", "_fetched", "_output", "_response")

    def __init__(self, *, fetched: bool, capture: bool = False) -> None:
        self._fetched = fetched
        self._response: Any = None
        self._error: Any = None
        self._output = ResponsesOutput() if capture else None  # output content, only while capture is on

    def add(self, event: Any) -> str | None:
        kind = getattr(event, "type", None)
        if kind in _LIFECYCLE_EVENTS:
            response = getattr(event, "response", None)
            if response is not None:
                self._response = response
            if kind in _TERMINAL_EVENTS:
                return LAST_CHUNK
        elif kind == "error":
            self._error = event
        elif self._output is not None:
            self._output.add(event, kind)
        return None

    def result(self) -> GenAIResponse:
        if self._response is not None:
            record = response_record(self._response, fetched=self._fetched)
        else:
            record = GenAIResponse()
        error = self._error
        if error is not None and record.error_type is None:
            # An ``error`` event is the stream itself failing (for a fetch too: the fetch did not complete).
            record.error_type = getattr(error, "code", None) or _UNKNOWN_ERROR
            record.error_message = getattr(error, "message", None) or None
        if self._output is not None:
            record.output_messages = self._output.messages(record.finish_reasons)
        return record
