"""Redaction: each built-in detector with positives and near-misses, choosing detectors, the caller's patterns,
plugged-in redactors, secrets split across stream chunks, and the call's own credentials scrubbed in any case."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import openai
import pytest

from genai_otel.genai._safety import raise_internal_errors
from genai_otel.genai.content import DETECTORS, build_chain, luhn_valid
from tests.conftest import FAKE_API_KEY
from tests.content.conftest import capturing, directives, only_event
from tests.content.schemas import validate

MODEL = "gpt-4o-mini"

# detector -> (text with it, redacted text), and texts it must leave alone
POSITIVES: dict[str, list[tuple[str, str]]] = {
    "email": [
        ("mail bob.smith+tag@mail.example.co.uk now", "mail <EMAIL> now"),
        ("<ALICE@Example.ORG>", "<<EMAIL>>"),
    ],
    "phone": [
        ("call +1 555 123 4567", "call <PHONE>"),
        ("call (555) 123-4567 today", "call <PHONE> today"),
        ("call 555-123-4567", "call <PHONE>"),
        ("call 555.123.4567", "call <PHONE>"),
        ("London +44 20 7946 0958", "London <PHONE>"),
        ("Paris +33 1 42 68 53 00", "Paris <PHONE>"),
    ],
    "credit_card": [
        ("card 4111 1111 1111 1111", "card <CREDIT_CARD>"),
        ("card 4111-1111-1111-1111.", "card <CREDIT_CARD>."),
        ("card 5555555555554444", "card <CREDIT_CARD>"),
        ("amex 378282246310005", "amex <CREDIT_CARD>"),
    ],
    "us_ssn": [("ssn 123-45-6789", "ssn <US_SSN>"), ("(078-05-1120)", "(<US_SSN>)")],
    "ipv4": [("host 192.168.1.10", "host <IPV4>"), ("at 10.0.0.1.", "at <IPV4>."), ("255.255.255.255", "<IPV4>")],
    "ipv6": [
        ("host 2001:db8::8a2e:370:7334 up", "host <IPV6> up"),
        ("loopback ::1", "loopback <IPV6>"),
        ("fe80::1ff:fe23:4567:890a%", "<IPV6>%"),
        ("mapped ::ffff:192.0.2.128", "mapped <IPV6>"),
    ],
    "openai_key": [
        ("key sk-proj-abcdefghijklmnopqrstuvwxyz0123", "key <OPENAI_API_KEY>"),
        (f"key={FAKE_API_KEY};", "key=<OPENAI_API_KEY>;"),
    ],
    "anthropic_key": [("key sk-ant-api03-abcdefghijklmnop_QRST-uv", "key <ANTHROPIC_API_KEY>")],
    "aws_key": [
        ("id AKIAIOSFODNN7EXAMPLE", "id <AWS_ACCESS_KEY_ID>"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "aws_secret_access_key = <AWS_SECRET_ACCESS_KEY>"),
        ('"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
         '"AWS_SECRET_ACCESS_KEY": "<AWS_SECRET_ACCESS_KEY>"'),
    ],
    "bearer_token": [("Authorization: Bearer abc.def-ghi_jkl123", "Authorization: Bearer <BEARER_TOKEN>")],
    "jwt": [("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
             "token <JWT> end")],
}
NEAR_MISSES: dict[str, list[str]] = {
    "email": ["user@localhost", "a@b.c", "@handle", "price 5@ 3.50"],
    "phone": ["on 2024-01-15 at 12:30:45", "ext 555-1234", "order 5551234567", "v2.1.3", "+5"],
    "credit_card": ["bad 4111111111111112", "12 digits 411111111111", "4111 1111 1111 1112"],
    "us_ssn": ["000-12-3456", "666-12-3456", "123-00-4567", "923-45-6789", "123-45-67890", "123-45-0000"],
    "ipv4": ["256.1.1.1", "version 1.2.3", "v 1.2.3.4.5", "1.2.3"],
    "ipv6": ["time 12:30:45", "std::vector", "mac 00:1a:2b:3c:4d:5e", "a:b"],
    "openai_key": ["task-abcdefghijklmnopqrstuvwxyz", "sk-short123", "risk-management-and-compliance-team"],
    "anthropic_key": ["sk-ant-short"],
    "aws_key": ["AKIA123", "AKIAiosfodnn7example", "aws_secret_access_key = short"],
    "bearer_token": ["bearer of bad news", "Bearer abc"],
    "jwt": ["eyJ only", "eyJhbGci.notjwt"],
}


def detector(name: str) -> Any:
    found = [d for d in DETECTORS if d.name == name]
    assert found, name

    def run(text: str) -> str:
        for d in found:
            text = d(text)
        return text

    return run


@pytest.mark.parametrize(("name", "text", "redacted"),
                         [(name, text, redacted) for name, cases in POSITIVES.items() for text, redacted in cases])
def test_detector_finds(name: str, text: str, redacted: str) -> None:
    assert detector(name)(text) == redacted
    assert build_chain({})(text) == redacted  # the whole default chain agrees


@pytest.mark.parametrize(("name", "text"), [(name, text) for name, texts in NEAR_MISSES.items() for text in texts])
def test_detector_leaves_near_misses(name: str, text: str) -> None:
    assert detector(name)(text) == text


def test_every_detector_is_tested() -> None:
    names = {d.name for d in DETECTORS}
    assert names == set(POSITIVES) == set(NEAR_MISSES)


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112") and not luhn_valid("79927398710")


def test_everything_in_one_text() -> None:
    text = ("Bob (bob@example.com, +1 555 123 4567, SSN 123-45-6789) paid with 4111 1111 1111 1111 from 10.1.2.3 "
            "and 2001:db8::1 using sk-proj-abcdefghijklmnopqrstuvwxyz0123.")
    assert build_chain({})(text) == ("Bob (<EMAIL>, <PHONE>, SSN <US_SSN>) paid with <CREDIT_CARD> from <IPV4> "
                                     "and <IPV6> using <OPENAI_API_KEY>.")


def test_choosing_detectors() -> None:
    text = "bob@example.com 192.168.0.1 +1 555 123 4567 sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    assert build_chain({"GENAI_OTEL_REDACT": "email"})(text) == (
        "<EMAIL> 192.168.0.1 +1 555 123 4567 sk-proj-abcdefghijklmnopqrstuvwxyz0123")
    assert build_chain({"GENAI_OTEL_REDACT": "IP, secrets"})(text) == (
        "bob@example.com <IPV4> +1 555 123 4567 <OPENAI_API_KEY>")
    assert build_chain({"GENAI_OTEL_REDACT": "none"})(text) == text
    assert not build_chain({"GENAI_OTEL_REDACT": "none"}, plugin_names=())


def test_unknown_detector_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "genai_otel")
    for _ in range(2):
        chain = build_chain({"GENAI_OTEL_REDACT": "email,postcode"}, plugin_names=())
    assert chain("bob@example.com SW1A 1AA") == "<EMAIL> SW1A 1AA"
    messages = [r.getMessage() for r in caplog.records if "GENAI_OTEL_REDACT" in r.getMessage()]
    assert len(messages) == 1
    assert "'postcode'" in messages[0]


def test_own_patterns() -> None:
    chain = build_chain({"GENAI_OTEL_REDACT": "none",
                         "GENAI_OTEL_REDACT_PATTERNS": json.dumps({"employee_id": r"EMP-\d{6}", "PROJECT": "Falcon"})},
                        plugin_names=())
    assert chain("EMP-123456 works on Falcon; EMP-12 does not") == "<EMPLOYEE_ID> works on <PROJECT>; EMP-12 does not"


@pytest.mark.parametrize("value", ["not json", '["EMP-\\\\d+"]', '{"BAD": "(unclosed"}', '{"has space": "x"}'])
def test_bad_patterns_warn_and_are_ignored(value: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "genai_otel")
    chain = build_chain({"GENAI_OTEL_REDACT": "email", "GENAI_OTEL_REDACT_PATTERNS": value}, plugin_names=())
    assert chain("bob@example.com (unclosed x") == "<EMAIL> (unclosed x"
    assert any("GENAI_OTEL_REDACT_PATTERNS" in r.getMessage() for r in caplog.records)


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install redactors under the ``genai_otel_redactors`` entry point group (a dist-info on ``sys.path``)."""
    dist = tmp_path / "genai_otel_test_redactors-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genai-otel-test-redactors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[genai_otel_redactors]\n"
        "codenames = tests.content.redactor_plugin:Codenames\n"
        "acme = tests.content.redactor_plugin:upper_ids\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_plugged_in_redactors(plugins: None) -> None:
    text = "Project Falcon for ACME-42, bob@example.com"
    assert build_chain({})(text) == "<CODENAME> for <ACME_ID>, <EMAIL>"
    assert build_chain({"GENAI_OTEL_REDACT": "codenames"})(text) == "<CODENAME> for ACME-42, bob@example.com"
    assert build_chain({"GENAI_OTEL_REDACT": "none"})(text) == text


def test_plugin_on_real_calls(plugins: None, client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing("SPAN_ONLY"):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Status of Project Falcon?"}])
    [message] = json.loads(telemetry.only_span().attributes["gen_ai.input.messages"])
    assert message["parts"][0]["content"] == "Status of <CODENAME>?"


def test_a_plugin_that_cannot_load_withholds_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    dist = tmp_path / "genai_otel_broken-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genai-otel-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[genai_otel_redactors]\nmissing = tests.content.no_such_module:x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    chain = build_chain({"GENAI_OTEL_REDACT": "email,missing"})
    assert chain("bob@example.com") == "<REDACTED>"
    assert any("cannot load redactor 'missing'" in r.getMessage() for r in caplog.records)


def test_a_redactor_that_raises_withholds_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    dist = tmp_path / "genai_otel_raising-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genai-otel-raising\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[genai_otel_redactors]\nbroken = tests.content.redactor_plugin:broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    raise_internal_errors(False)  # as in production: the call goes on, the content is withheld
    try:
        with capturing("SPAN_ONLY"):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    finally:
        raise_internal_errors(True)
    attributes = telemetry.only_span().attributes
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "<REDACTED>"}]}]
    assert json.loads(attributes["gen_ai.output.messages"])[0]["parts"][0]["content"] == "<REDACTED>"


SECRET = "sk-proj-" + "Zx9" * 10
SECRET_TOOL = {"type": "function", "function": {"name": "store", "description": "Keep a credential", "parameters": {
    "type": "object", "properties": {"token": {"type": "string", "enum": [SECRET]},
                                     "owner": {"type": "string", "enum": ["bob@example.com"]}}}}}


def test_secret_split_across_stream_chunks(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    """The fake server streams tool arguments in 5-character fragments: the key arrives in pieces."""
    fragments = []
    with capturing("SPAN_AND_EVENT"):
        for chunk in client.chat.completions.create(model=MODEL, stream=True, tools=[SECRET_TOOL],
                                                    messages=[{"role": "user", "content": "Store it"}],
                                                    **directives(tool_calls=1)):
            for choice in chunk.choices:
                fragments += [c.function.arguments for c in choice.delta.tool_calls or () if c.function.arguments]
    assert not any(SECRET in fragment for fragment in fragments)  # never whole in one chunk
    assert SECRET in "".join(fragments)  # the caller received it, unchanged
    attributes = telemetry.only_span().attributes
    [output] = validate("gen_ai.output.messages", attributes["gen_ai.output.messages"])
    assert output["parts"][0]["arguments"] == {"token": "<OPENAI_API_KEY>", "owner": "<EMAIL>"}
    definitions = validate("gen_ai.tool.definitions", attributes["gen_ai.tool.definitions"])
    assert definitions[0]["parameters"]["properties"]["token"]["enum"] == ["<OPENAI_API_KEY>"]
    event = only_event().log_record.attributes
    assert validate("gen_ai.output.messages", event["gen_ai.output.messages"]) == [output]
    assert SECRET not in str(dict(attributes)) + str(dict(event))


def test_secret_split_across_responses_argument_deltas(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    """The Responses stream: the key arrives in ``response.function_call_arguments.delta`` fragments."""
    tool = {"type": "function", "name": "store", "description": "Keep a credential",
            "parameters": SECRET_TOOL["function"]["parameters"]}
    fragments = []
    with capturing("SPAN_AND_EVENT"):
        for event in client.responses.create(model=MODEL, stream=True, tools=[tool], input="Store it",
                                             **directives(tool_calls=1)):
            if event.type == "response.function_call_arguments.delta":
                fragments.append(event.delta)
    assert not any(SECRET in fragment for fragment in fragments) and SECRET in "".join(fragments)
    attributes = telemetry.only_span().attributes
    [output] = validate("gen_ai.output.messages", attributes["gen_ai.output.messages"])
    assert output["parts"][0]["arguments"] == {"token": "<OPENAI_API_KEY>", "owner": "<EMAIL>"}
    event = only_event().log_record.attributes
    assert validate("gen_ai.output.messages", event["gen_ai.output.messages"]) == [output]
    assert SECRET not in str(dict(attributes)) + str(dict(event))


def test_pattern_across_text_chunks(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    """``word1`` and `` word2`` arrive in different chunks; a pattern spanning both still matches."""
    with capturing("SPAN_ONLY", env={"GENAI_OTEL_REDACT_PATTERNS": '{"PAIR": "word1 word2"}'}):
        for _ in client.chat.completions.create(model=MODEL, stream=True, messages=[{"role": "user", "content": "Hi"}],
                                                **directives(chunks=4)):
            pass
        with client.responses.stream(model=MODEL, input="Hi", **directives(chunks=4)) as stream:
            for _ in stream:
                pass
    for span in telemetry.genai_spans():
        [output] = json.loads(span.attributes["gen_ai.output.messages"])
        assert output["parts"] == [{"type": "text", "content": "word0 <PAIR> word3"}]


def test_call_credentials_are_scrubbed_even_without_redaction(client: openai.OpenAI, telemetry: Any,
                                                              logs: Any) -> None:
    header_value = "hdr-secret-4d9a71c0e2"
    with capturing("SPAN_AND_EVENT", env={"GENAI_OTEL_REDACT": "none"}):
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": f"my key is {FAKE_API_KEY} and my header {header_value}"}],
            extra_headers={"x-internal-auth": header_value})
    attributes = telemetry.only_span().attributes
    [message] = json.loads(attributes["gen_ai.input.messages"])
    assert message["parts"][0]["content"] == "my key is <SECRET> and my header <SECRET>"
    event = only_event().log_record.attributes
    assert validate("gen_ai.input.messages", event["gen_ai.input.messages"]) == [message]
