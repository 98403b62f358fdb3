"""No secrets, ever: keys, ``Authorization``, ``x-api-key``, ``api-key``, cookies and any ``extra_headers`` value never
appear in spans, events, metrics or logs, in any capture mode, even when the prompt itself contains them.

Each test also passes through the suite-wide scan (``tests/_secret_scan.py``); the last tests check that the scan
itself sees every kind of signal.
"""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest

from tests import _secret_scan
from tests.conftest import FAKE_API_KEY, METER_PROVIDER, TRACER_PROVIDER
from tests.content.conftest import LOGGER_PROVIDER, LOGS, MODES, capturing, directives
from tests.secret_values import HEADER_SECRETS

HEADERS = {"Authorization": HEADER_SECRETS[1], "x-api-key": HEADER_SECRETS[3], "api-key": HEADER_SECRETS[4],
           "Cookie": HEADER_SECRETS[5], "x-internal-auth": HEADER_SECRETS[0]}
LEAKY_PROMPT = "Here you go: " + " / ".join([FAKE_API_KEY, *HEADER_SECRETS])


def everything_exported(telemetry: Any) -> str:
    spans = [(s.name, dict(s.attributes), [(e.name, dict(e.attributes)) for e in s.events], s.status.description)
             for s in telemetry.spans()]
    logs = [(r.log_record.body, dict(r.log_record.attributes or {})) for r in LOGS.get_finished_logs()]
    metrics = [p["attributes"] for name in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage",
                                            "genai_otel.client.cost") for p in telemetry.metric_points(name)]
    return repr((spans, logs, metrics))


def assert_clean(text: str) -> None:
    for secret in _secret_scan.SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize("redact", ["all", "none"])
@pytest.mark.parametrize("mode", MODES)
def test_openai(mode: str, redact: str, server: Any, telemetry: Any, logs: Any) -> None:
    with capturing(mode, env={"GENAI_OTEL_REDACT": redact}), openai.OpenAI(
            api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=0,
            default_headers={"x-custom-token": HEADER_SECRETS[7]}) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": LEAKY_PROMPT}],
                                       extra_headers=HEADERS)
        for _ in client.chat.completions.create(model="gpt-4o-mini", stream=True, extra_headers=HEADERS,
                                                messages=[{"role": "user", "content": LEAKY_PROMPT}]):
            pass
        client.responses.create(model="gpt-4o-mini", instructions=LEAKY_PROMPT, input=LEAKY_PROMPT,
                                extra_headers=HEADERS)
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                           extra_headers={**HEADERS, **directives(status=401)["extra_headers"]})
    assert server.requests[0].headers["x-api-key"] == HEADER_SECRETS[3]  # they were sent, as the caller asked
    exported = everything_exported(telemetry)
    assert_clean(exported)
    if mode != "NO_CONTENT":  # the content itself was captured, the secrets detected or scrubbed
        assert ("Here you go: <SECRET>" if redact == "none" else "Here you go: <OPENAI_API_KEY>") in exported


@pytest.mark.parametrize("mode", MODES)
def test_anthropic(mode: str, server: Any, telemetry: Any, logs: Any) -> None:
    pytest.importorskip("anthropic")
    import anthropic

    from tests.conftest import FAKE_ANTHROPIC_KEY

    # Only this call's own secrets: with redaction off, a key the call does not use is the caller's content.
    leaky = "Here you go: " + " / ".join([FAKE_ANTHROPIC_KEY, *HEADERS.values(), HEADER_SECRETS[6]])
    with capturing(mode, env={"GENAI_OTEL_REDACT": "none"}), anthropic.Anthropic(
            api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=0) as claude:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=50, system=leaky,
                               messages=[{"role": "user", "content": leaky}], extra_headers=HEADERS)
        with claude.messages.stream(model="claude-haiku-4-5", max_tokens=50, extra_headers=HEADERS,
                                    messages=[{"role": "user", "content": leaky}]) as stream:
            stream.until_done()
    exported = everything_exported(telemetry)
    assert_clean(exported)
    if mode != "NO_CONTENT":
        assert "Here you go: <SECRET> / <SECRET>" in exported


def test_the_scan_sees_spans_events_metrics_and_logs() -> None:
    """Leak each kind of signal on purpose, check the scan caught it, then take the hits back."""
    before = len(_secret_scan._hits)
    with TRACER_PROVIDER.get_tracer("scan-self-test").start_as_current_span("leak") as span:
        span.set_attribute("leak", FAKE_API_KEY)
    LOGGER_PROVIDER.get_logger("scan-self-test").emit(event_name="leak", attributes={"x": [HEADER_SECRETS[0]]})
    METER_PROVIDER.get_meter("scan-self-test").create_counter("leak").add(1, {"leak": HEADER_SECRETS[3]})
    logging.getLogger("scan-self-test").warning("leaking %s", HEADER_SECRETS[5])
    caught = _secret_scan._hits[before:]
    del _secret_scan._hits[before:]
    kinds = [hit.split(" carries ")[0] for hit in caught]
    # the logging record holds the cookie header and its value: two secrets
    assert kinds == ["span", "log record", "metric measurement"] + ["logging record (scan-self-test)"] * 2
    assert any(FAKE_API_KEY in hit for hit in caught)
