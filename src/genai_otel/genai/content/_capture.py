"""The content step of every call: prompt hash at the start; captured copy, span attributes and event at the end."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import set_span_in_context

from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.content._config import ContentSettings
from genai_otel.genai.content._hash import PromptHasher
from genai_otel.genai.content._limits import dumps, fit, size
from genai_otel.genai.content._redact import RedactionChain

if TYPE_CHECKING:
    from opentelemetry._logs import Logger
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Span

    from genai_otel.genai.content.parts import Prompt
    from genai_otel.genai.recorder import Invocation
    from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse

__all__ = ["ContentCapture", "read_output"]

PromptReader = Callable[[Any, tuple[Any, ...], dict[str, Any], bool], "Prompt | None"]

_SYSTEM = sc.SYSTEM_INSTRUCTIONS
_INPUT = sc.INPUT_MESSAGES
_OUTPUT = sc.OUTPUT_MESSAGES
_TOOLS = sc.TOOL_DEFINITIONS
# Order of the pieces in the event, and which one loses its oldest items first when the event is over budget.
_EVENT_ORDER = (_SYSTEM, _INPUT, _TOOLS, _OUTPUT)
# Values that are structure, not content: never redacted.
_STRUCTURAL = frozenset({"type", "role", "finish_reason", "modality", "mime_type"})
_SECRET = "<SECRET>"
_WITHHELD = "<REDACTED>"
_ERROR_FINISH = "error"


def read_output(reader: Callable[..., list[dict[str, Any]]], *args: Any) -> list[dict[str, Any]] | None:
    """``reader(*args)`` for a surface's ``response()``, guarded: a failure costs the output content only."""
    try:
        return reader(*args)
    except Exception as exc:  # noqa: BLE001
        internal_error("content.output", exc)
        return None


class ContentCapture:
    """What an instrumentor does with message content, configured once (``ContentSettings``)."""

    __slots__ = ("settings", "captures", "_hasher", "_chain", "_logger", "_truncated", "_on_span", "_on_event")

    def __init__(self, settings: ContentSettings, chain: RedactionChain, otel_logger: Logger | None,
                 meter: Meter | None) -> None:
        self.settings = settings
        self.captures = settings.mode.captures
        self._on_span = settings.mode.on_span
        self._on_event = settings.mode.on_event and otel_logger is not None
        self._hasher = PromptHasher(settings.hash_salt)
        self._chain = chain
        self._logger = otel_logger
        self._truncated: Any = None
        if meter is not None:  # whatever the mode, at 0 from instrument time (self-health, alertable)
            self._truncated = meter.create_counter(
                sc.METRIC_CONTENT_TRUNCATED, unit="{event}",
                description="Captured message content cut or dropped to fit the size limits.")
            self._truncated.add(0)

    # --- at the start of a call ---

    def read_prompt(self, request: GenAIRequest, reader: PromptReader, instance: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> None:
        """Set the prompt hash on ``request``; when capturing, keep the normalized prompt on it for ``finish``."""
        captures = self.captures
        request.capture_content = captures
        try:
            prompt = reader(instance, args, kwargs, captures)
            if prompt is None:
                return
            system, messages, tools = prompt.system_instructions, prompt.input_messages, prompt.tool_definitions
            request.attributes[sc.EXTRA_PROMPT_HASH] = self._hasher(system, messages, tools)
            if captures:
                request.system_instructions = system or None
                request.input_messages = messages
                request.tool_definitions = tools or None
                request.content_secrets = prompt.secrets
        except Exception as exc:  # noqa: BLE001
            internal_error("content.prompt", exc)

    # --- at the end ---

    def finish(self, span: Span, invocation: Invocation, response: GenAIResponse | None, failed: bool,
               attributes: Attributes, recording: bool) -> Attributes | None:
        """Emit the event (when asked for) and return the content span attributes (when asked for and recording).

        ``attributes``: what the recorder sets on the span at its end (response, usage, cost, error type).
        """
        if not (self._on_event or (self._on_span and recording)):
            return None
        request = invocation.request
        pieces = self._captured(request, response, failed)
        span_attributes: Attributes | None = None
        if self._on_span and recording:
            span_attributes = {}
            for name, value in pieces.items():
                text = self._fit_attribute(name, value)
                if text is not None:
                    span_attributes[name] = text
        if self._on_event:
            self._emit(span, invocation, attributes, pieces)
        return span_attributes

    def _captured(self, request: GenAIRequest, response: GenAIResponse | None, failed: bool) -> dict[str, Any]:
        copy = _Copier(self._chain, request.content_secrets, self.settings.keep_binary)
        pieces: dict[str, Any] = {}
        if request.system_instructions:
            pieces[_SYSTEM] = [copy.part(part) for part in request.system_instructions]
        if request.input_messages is not None:
            pieces[_INPUT] = [copy.message(entry) for entry in request.input_messages]
        if request.tool_definitions:
            pieces[_TOOLS] = [copy.value(entry) for entry in request.tool_definitions]
        output = response.output_messages if response is not None else None
        if output is not None:
            messages = [copy.message(entry) for entry in output]
            if failed:
                for entry in messages:
                    if not entry.get("finish_reason"):
                        entry["finish_reason"] = _ERROR_FINISH
            pieces[_OUTPUT] = messages
        return pieces

    def _fit_attribute(self, name: str, value: list[Any]) -> str | None:
        budget = self.settings.max_attribute_bytes
        fitted, truncated = fit(value, budget, frozenset({0}) if name == _INPUT else frozenset())
        text = dumps(fitted)
        if truncated:
            self._count(name)
        if len(text.encode("utf-8", "surrogatepass")) > budget:
            return None  # not even an empty list fits (an SDK attribute limit below 2 characters)
        return text

    def _emit(self, span: Span, invocation: Invocation, attributes: Attributes, pieces: dict[str, Any]) -> None:
        request = invocation.request
        event: dict[str, Any] = dict(invocation.metric_attributes)
        event[sc.REQUEST_STREAM] = request.stream
        event.update(request.attributes)
        event.update(attributes)
        ordered = {name: pieces[name] for name in _EVENT_ORDER if name in pieces}
        if ordered:
            input_index = list(ordered).index(_INPUT) if _INPUT in ordered else -1
            fitted, truncated = fit(ordered, self.settings.max_event_bytes, frozenset({input_index}))
            if truncated:
                self._count(sc.EVENT_INFERENCE_DETAILS)
            if size(fitted) <= self.settings.max_event_bytes:
                event.update(fitted)
        assert self._logger is not None
        self._logger.emit(
            context=set_span_in_context(span),
            event_name=sc.EVENT_INFERENCE_DETAILS,
            severity_number=SeverityNumber.INFO,
            attributes=event,
        )

    def _count(self, location: str) -> None:
        counter = self._truncated
        if counter is not None:
            counter.add(1, {sc.EXTRA_CONTENT_LOCATION: location})


class _Copier:
    """Copies captured content for export: redacted, secrets scrubbed, binary data replaced, tool arguments parsed.

    Never changes what it reads (the caller's objects and the request's parts stay as they are).
    """

    __slots__ = ("_chain", "_secrets", "_keep_binary")

    def __init__(self, chain: RedactionChain, secrets: tuple[str, ...], keep_binary: bool) -> None:
        self._chain = chain
        self._secrets = secrets
        self._keep_binary = keep_binary

    def text(self, text: str) -> str:
        if not text:
            return text
        if self._chain:
            try:
                text = self._chain(text)
            except Exception as exc:  # noqa: BLE001 - a plugged-in redactor failed: nothing unredacted gets out
                internal_error("content.redactor", exc)
                return _WITHHELD
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _SECRET)
        return text

    def message(self, entry: Any) -> Any:
        if not isinstance(entry, dict):
            return self.value(entry)
        out: dict[str, Any] = {}
        for key, item in entry.items():
            if key == "parts" and isinstance(item, list):
                out[key] = [self.part(part) for part in item]
            elif key in _STRUCTURAL:
                out[key] = item
            else:
                out[key] = self.value(item)
        return out

    def part(self, part: Any) -> Any:
        if not isinstance(part, dict):
            return self.value(part)
        kind = part.get("type")
        if kind == "blob" and not self._keep_binary:
            return _omitted_blob(part)
        out: dict[str, Any] = {}
        for key, item in part.items():
            if key in _STRUCTURAL:
                out[key] = item
            elif key == "arguments" and kind == "tool_call" and isinstance(item, str):
                out[key] = self.value(_parsed(item))
            else:
                out[key] = self.value(item)
        return out

    def value(self, value: Any) -> Any:
        """Any JSON-like value: strings redacted, containers copied, keys kept."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key if isinstance(key, str) else str(key): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        dump = getattr(value, "model_dump", None)
        if callable(dump):
            return self.value(dump(mode="json"))
        return f"<{type(value).__name__}>"


def _parsed(arguments: str) -> Any:
    """Tool-call arguments sent as a JSON string, as the JSON value they hold (the string itself if they do not)."""
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


def _omitted_blob(part: dict[str, Any]) -> dict[str, Any]:
    """A blob part without its data: modality, mime type and the data's size in bytes."""
    out = {key: value for key, value in part.items() if key != "content"}
    out["content"] = ""
    data = part.get("content")
    out["byte_size"] = _decoded_size(data) if isinstance(data, str) else 0
    out["content_omitted"] = True
    return out


def _decoded_size(data: str) -> int:
    """Bytes a base64 string decodes to (whitespace ignored)."""
    length = len(data)
    if any(c in data for c in " \n\r\t"):
        data = "".join(data.split())
        length = len(data)
    padding = len(data) - len(data.rstrip("="))
    return max(0, length * 3 // 4 - padding)
