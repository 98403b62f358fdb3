"""``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` and the content settings read from the environment."""

from __future__ import annotations

import logging

import pytest

from genai_otel.genai.content import DEFAULT_MAX_ATTRIBUTE_BYTES, CaptureMode, ContentSettings, read_mode

VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@pytest.mark.parametrize(("value", "mode"), [
    ("", CaptureMode.NO_CONTENT), ("   ", CaptureMode.NO_CONTENT),
    ("NO_CONTENT", CaptureMode.NO_CONTENT), ("span_only", CaptureMode.SPAN_ONLY),
    ("Event_Only", CaptureMode.EVENT_ONLY), (" SPAN_AND_EVENT ", CaptureMode.SPAN_AND_EVENT),
    ("true", CaptureMode.SPAN_AND_EVENT), ("TRUE", CaptureMode.SPAN_AND_EVENT), ("False", CaptureMode.NO_CONTENT),
])
def test_values(value: str, mode: CaptureMode) -> None:
    assert read_mode({VARIABLE: value}) is mode


def test_unset_is_no_content() -> None:
    assert read_mode({}) is CaptureMode.NO_CONTENT


@pytest.mark.parametrize("value", ["1", "yes", "SPAN", "span-only", "on"])
def test_anything_else_warns_once_and_captures_nothing(value: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "genai_otel")
    assert read_mode({VARIABLE: value}) is CaptureMode.NO_CONTENT
    assert read_mode({VARIABLE: value}) is CaptureMode.NO_CONTENT
    warnings = [r.getMessage() for r in caplog.records if VARIABLE in r.getMessage()]
    assert len(warnings) == 1
    assert repr(value) in warnings[0]


@pytest.mark.parametrize(("mode", "on_span", "on_event"), [
    (CaptureMode.NO_CONTENT, False, False), (CaptureMode.SPAN_ONLY, True, False),
    (CaptureMode.EVENT_ONLY, False, True), (CaptureMode.SPAN_AND_EVENT, True, True),
])
def test_mode_meaning(mode: CaptureMode, on_span: bool, on_event: bool) -> None:
    assert (mode.on_span, mode.on_event, mode.captures) == (on_span, on_event, on_span or on_event)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (VARIABLE, "GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES", "GENAI_OTEL_CONTENT_MAX_EVENT_BYTES",
                 "GENAI_OTEL_CONTENT_KEEP_BINARY", "GENAI_OTEL_PROMPT_HASH_SALT",
                 "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    assert ContentSettings.from_env() == ContentSettings(CaptureMode.NO_CONTENT, 16384, 65536, False, None)
    assert DEFAULT_MAX_ATTRIBUTE_BYTES == 16384


def test_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "span_only")
    monkeypatch.setenv("GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES", "4096")
    monkeypatch.setenv("GENAI_OTEL_CONTENT_MAX_EVENT_BYTES", "8192")
    monkeypatch.setenv("GENAI_OTEL_CONTENT_KEEP_BINARY", "true")
    monkeypatch.setenv("GENAI_OTEL_PROMPT_HASH_SALT", "salt")
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1000")
    monkeypatch.setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50")  # the span-specific limit wins, as in the SDK
    assert ContentSettings.from_env() == ContentSettings(CaptureMode.SPAN_ONLY, 1000, 8192, True, b"salt")
