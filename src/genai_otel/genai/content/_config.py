"""Capture modes and the content settings, read from the environment once per instrumentor."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass

from genai_otel._settings import read_bool, read_int, warn_once
from genai_otel.environment_variables import (
    GENAI_OTEL_CONTENT_KEEP_BINARY,
    GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES,
    GENAI_OTEL_CONTENT_MAX_EVENT_BYTES,
    GENAI_OTEL_PROMPT_HASH_SALT,
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
)

__all__ = ["DEFAULT_MAX_ATTRIBUTE_BYTES", "DEFAULT_MAX_EVENT_BYTES", "CaptureMode", "ContentSettings", "read_mode"]

DEFAULT_MAX_ATTRIBUTE_BYTES = 16 * 1024
DEFAULT_MAX_EVENT_BYTES = 64 * 1024
_MIN_BYTES = 256
_NO_LIMIT = 1 << 62
_SDK_VALUE_LIMITS = ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")


class CaptureMode(enum.Enum):
    """Where message content goes; the values and their meaning are those of the OpenTelemetry GenAI packages."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self is CaptureMode.SPAN_ONLY or self is CaptureMode.SPAN_AND_EVENT

    @property
    def on_event(self) -> bool:
        return self is CaptureMode.EVENT_ONLY or self is CaptureMode.SPAN_AND_EVENT

    @property
    def captures(self) -> bool:
        return self is not CaptureMode.NO_CONTENT


_ALIASES = {"true": CaptureMode.SPAN_AND_EVENT, "false": CaptureMode.NO_CONTENT}


def read_mode(environ: Mapping[str, str] | None = None) -> CaptureMode:
    """``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, case-insensitive; ``true`` / ``false`` mean
    ``SPAN_AND_EVENT`` / ``NO_CONTENT``; anything else warns once (naming the variable and value) -> ``NO_CONTENT``."""
    name = OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return CaptureMode.NO_CONTENT
    upper = raw.upper()
    if upper in CaptureMode.__members__:
        return CaptureMode[upper]
    alias = _ALIASES.get(raw.lower())
    if alias is not None:
        return alias
    warn_once(f"env:{name}={raw}", "genai-otel: ignoring %s=%r (expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY, "
              "SPAN_AND_EVENT, true or false); message content is not captured", name, raw)
    return CaptureMode.NO_CONTENT


@dataclass(frozen=True)
class ContentSettings:
    """Everything content capture needs, resolved once (``from_env``)."""

    mode: CaptureMode = CaptureMode.NO_CONTENT
    max_attribute_bytes: int = DEFAULT_MAX_ATTRIBUTE_BYTES
    """Budget of each content span attribute, in UTF-8 bytes of its JSON string."""
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    """Budget of the content of one event (all four pieces together), in UTF-8 bytes of their JSON."""
    keep_binary: bool = False
    """Keep the base64 data of blob parts (images, audio, files); by default only mime type and byte size."""
    hash_salt: bytes | None = None

    @classmethod
    def from_env(cls) -> ContentSettings:
        return cls(
            mode=read_mode(),
            max_attribute_bytes=min(read_int(GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES, DEFAULT_MAX_ATTRIBUTE_BYTES,
                                             minimum=_MIN_BYTES), _sdk_value_limit()),
            max_event_bytes=read_int(GENAI_OTEL_CONTENT_MAX_EVENT_BYTES, DEFAULT_MAX_EVENT_BYTES, minimum=_MIN_BYTES),
            keep_binary=read_bool(GENAI_OTEL_CONTENT_KEEP_BINARY, False),
            hash_salt=_salt(),
        )


def _sdk_value_limit() -> int:
    """The SDK's span attribute value length limit, when set: the SDK would cut a longer JSON string (making it
    invalid JSON), so content is fitted under it instead. The limit counts characters; our budget counts UTF-8 bytes,
    which are never fewer."""
    for name in _SDK_VALUE_LIMITS:  # the span-specific variable wins, as in the SDK
        raw = os.environ.get(name, "").strip()
        if raw:
            return int(raw) if raw.isdigit() and int(raw) > 0 else _NO_LIMIT
    return _NO_LIMIT


def _salt() -> bytes | None:
    raw = os.environ.get(GENAI_OTEL_PROMPT_HASH_SALT)
    if not raw:
        return None
    return raw.encode("utf-8")
