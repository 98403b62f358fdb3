"""Suite-wide secret scan: no API key or header secret the tests use may appear in anything exported, ever.

For the whole test run, every span that ends (any SDK TracerProvider: its name, attributes, events, links and
status), every log record emitted through the OpenTelemetry logs API (body, attributes), every metric measurement
(attributes), every record the in-process OTLP receiver gets from apps run as subprocesses, every row written to a
local store in this process, and every ``logging`` record at the levels that are emitted is scanned for the values
in ``SECRETS``. A test during which one shows up fails (at teardown, naming what carried it); anything found outside
a test (session set-up or teardown) fails the run at the end.

``tests/conftest.py`` imports the fixtures and the session hook from here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FAKE_ANTHROPIC_KEY, FAKE_API_KEY
from tests.secret_values import HEADER_SECRETS

SECRETS: tuple[str, ...] = (
    FAKE_API_KEY,
    FAKE_ANTHROPIC_KEY,
    "sk-e2e-FAKEKEY-0123456789",  # tests/e2e apps
    "test_openai_api_key",  # cassette tests
    "test_anthropic_api_key",
    "fake-bedrock-key",
    "sk-ant-fake",
    "sk-fake",
    "sk-proj-" + "Zx9" * 10,  # a key the redaction tests put in prompts and tool schemas
    *HEADER_SECRETS,
)

_hits: list[str] = []
_reported = 0
_lock = threading.Lock()


def _scan(kind: str, *values: Any) -> None:
    text = repr(values)
    for secret in SECRETS:
        if secret in text:
            where = text if len(text) < 400 else text[:400] + "..."
            with _lock:
                _hits.append(f"{kind} carries {secret!r}: {where}")


def _span_end(original: Any) -> Any:
    def end(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        try:
            _scan("span", self.name, dict(self.attributes or {}),
                  [(e.name, dict(e.attributes or {})) for e in self.events],
                  [dict(link.attributes or {}) for link in self.links], self.status.description)
        except Exception as exc:  # noqa: BLE001 - the scan must not break the span; a broken scan is a hit
            _hits.append(f"span scan failed: {exc!r}")
        return result

    return end


def _log_emit(original: Any) -> Any:
    def emit(self: Any, record: Any = None, *args: Any, **kwargs: Any) -> Any:
        if record is not None:
            _scan("log record", getattr(record, "body", None), dict(getattr(record, "attributes", None) or {}),
                  getattr(record, "event_name", None))
        _scan("log record", kwargs.get("body"), dict(kwargs.get("attributes") or {}), kwargs.get("event_name"))
        return original(self, record, *args, **kwargs)

    return emit


def _measurement(original: Any) -> Any:
    def consume(self: Any, measurement: Any, *args: Any, **kwargs: Any) -> Any:
        _scan("metric measurement", getattr(measurement.instrument, "name", None), dict(measurement.attributes or {}))
        return original(self, measurement, *args, **kwargs)

    return consume


def _received(original: Any) -> Any:
    def add(self: Any, signal: str, records: Any) -> Any:
        _scan(f"OTLP {signal} from a subprocess", list(records))
        return original(self, signal, records)

    return add


def _stored(original: Any) -> Any:
    def write(self: Any, rows: Any, *args: Any, **kwargs: Any) -> Any:
        _scan("local store row", list(rows))
        return original(self, rows, *args, **kwargs)

    return write


class _LoggingScan(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            message = repr(record.msg)
        _scan(f"logging record ({record.name})", message, record.exc_text or "",
              repr(record.exc_info[1]) if record.exc_info else "")


def _patch(patch: pytest.MonkeyPatch, module: str, owner: str, attribute: str, wrap: Any) -> None:
    try:
        target = getattr(__import__(module, fromlist=[owner]), owner)
    except (ImportError, AttributeError):
        return
    patch.setattr(target, attribute, wrap(getattr(target, attribute)))


@pytest.fixture(scope="session", autouse=True)
def secret_scan_session() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    _patch(patch, "opentelemetry.sdk.trace", "Span", "end", _span_end)
    _patch(patch, "opentelemetry.sdk._logs._internal", "Logger", "emit", _log_emit)
    _patch(patch, "opentelemetry.sdk.metrics._internal.metric_reader_storage", "MetricReaderStorage",
           "consume_measurement", _measurement)
    _patch(patch, "genai_otel.testing.otlp._store", "TelemetryStore", "add", _received)
    _patch(patch, "genai_otel.localstore.store", "Store", "write", _stored)
    handler = _LoggingScan(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        patch.undo()


@pytest.fixture(autouse=True)
def secret_scan(secret_scan_session: None) -> Iterator[None]:
    """Fail the test during which a secret was exported."""
    global _reported
    with _lock:
        start = len(_hits)
    yield
    with _lock:
        new = _hits[start:]
        _reported = len(_hits)
    if new:
        pytest.fail("secrets were exported:\n" + "\n".join(new), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    with _lock:
        unreported = _hits[_reported:]
    if unreported:
        print("\nsecret scan: secrets were exported outside any test:\n" + "\n".join(unreported))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
