"""The built-in JSON-output check: did a call that asked for JSON get JSON (matching what it asked for)?

A request asks for JSON when its surface marked it ``gen_ai.output.type=json``: OpenAI ``response_format``
(``json_object``, ``json_schema``, a pydantic type given to ``parse()``/``stream()``), Responses ``text.format`` /
``text_format``, Anthropic ``output_config.format`` / ``output_format``. What it asked for is read from the call's
arguments (:func:`json_spec`); the output texts from the SDK's result (:func:`output_texts`) or, for streams, from
the text deltas (:class:`TextTap`). These know the two Stainless SDKs' shapes, like ``_stainless``.

The check (:func:`check`): every output (each choice) must parse as JSON; when a schema or a type was given it must
also validate: a pydantic type with pydantic itself, a JSON schema with ``jsonschema`` when it is installed (it is
optional: without it the check is parse-only and says so, ``genai_otel.output.json.check=parse``). A call that
failed, or produced no text (a refusal, tool calls only), is not checked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genai_otel.genai._safety import internal_error

if TYPE_CHECKING:
    from genai_otel.genai.stream import Accumulator
    from genai_otel.genai.types import GenAIResponse

__all__ = ["CHECK_PARSE", "CHECK_SCHEMA", "JsonSpec", "TextTap", "check", "chunk_text", "json_spec",
           "output_texts"]

CHECK_PARSE = "parse"
CHECK_SCHEMA = "schema"


@dataclass(frozen=True)
class JsonSpec:
    """What a request asked for: JSON, optionally a JSON schema or a (pydantic) type."""

    schema: Mapping[str, Any] | None = None
    model: type | None = None


def _format_spec(fmt: Any) -> JsonSpec | None:
    if isinstance(fmt, type):
        return JsonSpec(model=fmt)
    if not isinstance(fmt, Mapping):
        return None
    kind = fmt.get("type")
    if kind == "json_object":
        return JsonSpec()
    if kind != "json_schema":
        return None
    schema = fmt.get("schema")
    if schema is None and isinstance(fmt.get("json_schema"), Mapping):  # chat: {"json_schema": {"schema": ...}}
        schema = fmt["json_schema"].get("schema")
    return JsonSpec(schema=schema if isinstance(schema, Mapping) else None)


def json_spec(parameters: Mapping[str, Any]) -> JsonSpec:
    """What the call's arguments ask for (parse-only when nothing more specific is found)."""
    for key in ("response_format", "text_format", "output_format"):
        spec = _format_spec(parameters.get(key))
        if spec is not None:
            return spec
    for key in ("text", "output_config"):  # Responses text.format, Anthropic output_config.format
        container = parameters.get(key)
        if isinstance(container, Mapping):
            spec = _format_spec(container.get("format"))
            if spec is not None:
                return spec
    return JsonSpec()


def output_texts(result: Any) -> list[str] | None:
    """The text of each output of a non-streamed result (chat choices, a Response, a Message); None if none."""
    choices = getattr(result, "choices", None)
    if choices is not None:  # chat completion: one text per choice
        texts = [c.message.content for c in choices if getattr(getattr(c, "message", None), "content", None)]
        return texts or None
    content = getattr(result, "content", None)
    if isinstance(content, list):  # Anthropic message: its text blocks, in order
        text = "".join(block.text for block in content if getattr(block, "type", None) == "text")
        return [text] if text else None
    if isinstance(getattr(result, "output", None), list):  # OpenAI Response
        output_text = getattr(result, "output_text", None)
        return [output_text] if isinstance(output_text, str) and output_text else None
    return None


def chunk_text(chunk: Any) -> tuple[int, str] | None:
    """(output index, text delta) carried by one stream chunk or event, if any."""
    choices = getattr(chunk, "choices", None)
    if choices:  # chat completion chunk
        choice = choices[0]
        text = getattr(getattr(choice, "delta", None), "content", None)
        return (choice.index, text) if text else None
    kind = getattr(chunk, "type", None)
    if kind == "content_block_delta":  # Anthropic
        delta = chunk.delta
        return (0, delta.text) if getattr(delta, "type", None) == "text_delta" else None
    if kind == "response.output_text.delta":  # OpenAI Responses
        return 0, chunk.delta
    return None


class TextTap:
    """An accumulator that also keeps the text deltas of a stream, for hooks and the JSON check."""

    __slots__ = ("_inner", "texts")

    def __init__(self, inner: Accumulator) -> None:
        self._inner = inner
        self.texts: dict[int, list[str]] = {}

    def add(self, chunk: Any) -> str | None:
        verdict = self._inner.add(chunk)
        try:
            found = chunk_text(chunk)
            if found is not None:
                self.texts.setdefault(found[0], []).append(found[1])
        except Exception as exc:  # noqa: BLE001
            internal_error("stream.text", exc)
        return verdict

    def result(self) -> GenAIResponse:
        return self._inner.result()

    def joined(self) -> list[str] | None:
        return ["".join(parts) for _, parts in sorted(self.texts.items())] or None


# --- validation ---

_cache_lock = threading.Lock()
_validators: dict[str, Any] = {}
_adapters: dict[type, Any] = {}
_CACHE_LIMIT = 128


def _schema_validator(schema: Mapping[str, Any]) -> Any:
    """A compiled ``jsonschema`` validator for ``schema`` (cached), or None without ``jsonschema``."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _validators.get(key)
    if validator is None:
        try:
            import jsonschema  # type: ignore[import-untyped]  # noqa: PLC0415 - optional
        except ImportError:
            return None
        validator = jsonschema.validators.validator_for(schema)(schema)
        with _cache_lock:
            if len(_validators) >= _CACHE_LIMIT:
                _validators.clear()
            _validators[key] = validator
    return validator


def _model_valid(model: type, value: Any) -> bool:
    validate = getattr(model, "model_validate", None)  # pydantic v2 models
    if validate is None:
        adapter = _adapters.get(model)
        if adapter is None:
            from pydantic import TypeAdapter  # noqa: PLC0415 - both SDKs depend on pydantic

            adapter = TypeAdapter(model)
            with _cache_lock:
                if len(_adapters) >= _CACHE_LIMIT:
                    _adapters.clear()
                _adapters[model] = adapter
        validate = adapter.validate_python
    try:
        validate(value)
    except Exception:  # noqa: BLE001 - pydantic.ValidationError, or whatever a validator raises
        return False
    return True


def check(texts: list[str], spec: JsonSpec) -> tuple[bool, str]:
    """``(valid, what was checked)`` for the outputs ``texts`` against ``spec``."""
    validator = _schema_validator(spec.schema) if spec.schema is not None and spec.model is None else None
    mode = CHECK_SCHEMA if spec.model is not None or validator is not None else CHECK_PARSE
    for text in texts:
        try:
            value = json.loads(text)
        except ValueError:
            return False, mode
        if spec.model is not None:
            if not _model_valid(spec.model, value):
                return False, mode
        elif validator is not None and not validator.is_valid(value):
            return False, mode
    return True, mode
