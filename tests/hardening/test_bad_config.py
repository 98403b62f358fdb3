"""Bad configuration: every environment variable genai-otel reads, given an invalid value, produces one clear warning
naming the variable and the value, falls back to its default, and the application's calls go on as usual.

``ROWS`` is the table: the variable, an invalid value, the default that applies, and how the default shows in what
three rounds of real calls to the fake LLM server recorded (``bad_config_app.py``: an OpenAI chat call with a long
prompt, an email address, an employee id and an image; an OpenAI stream; an Anthropic message; an OpenAI call from a
thread pool under an application span; 12 calls in all). Settings are read once per process (at import, at the first
instrumentation, on first use), so each row runs in a fresh process (forked after the SDKs are imported, before
genai_otel is). Other ``GENAI_OTEL_*``
variables keep their defaults, except ``GENAI_OTEL_RAISE_INTERNAL_ERRORS=true`` (an internal error fails the row)
and, where a row needs content, ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT``.

Each row checks that:

- every call returned the fake server's answer;
- exactly one log record names the variable and the value, a WARNING, though the setting was used by 12 calls;
- nothing was logged at ERROR (but for the row that injects a fault on purpose);
- the default is what the calls used (the row's ``check``).

``test_every_variable_has_a_row`` fails when a variable is added to ``genai_otel.environment_variables`` without a
row here or a reason in ``NOT_VALUE_CHECKED``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from genai_otel import environment_variables

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("bad_config_app.py")
ANSWER = "word0 word1 word2 word3 word4"
"""What the fake server answers to every call here."""
CONTENT_ON = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT"}
Recorded = dict[str, Any]


@dataclass(frozen=True)
class Row:
    variable: str
    value: str
    default: str
    check: Callable[[Recorded], None]
    """Asserts that the calls ran with the default."""
    env: dict[str, str] = field(default_factory=dict)
    """Valid settings the observation needs."""
    extra: str = ""
    """What else ``bad_config_app.py`` does (see its docstring)."""
    errors_logged: bool = False
    """The row makes our code fail on purpose: its internal errors are logged (once per kind)."""


# --- reading what the app recorded -----------------------------------------------------------------------------------

def _ours(recorded: Recorded, model: str | None = None) -> list[dict[str, Any]]:
    return [s for s in recorded["spans"] if s["scope"] == "genai_otel"
            and (model is None or s["attributes"].get("gen_ai.request.model") == model)]


def _openai_spans(recorded: Recorded, stream: bool) -> list[dict[str, Any]]:
    return [s for s in _ours(recorded, "gpt-4o-mini") if s["attributes"]["gen_ai.request.stream"] is stream]


def _input_messages(recorded: Recorded) -> list[str]:
    """``gen_ai.input.messages`` of the three calls with the long prompt (the first of each round)."""
    found = [s["attributes"]["gen_ai.input.messages"] for s in _openai_spans(recorded, False)
             if "EMP" in s["attributes"].get("gen_ai.input.messages", "") or "<EMAIL>" in
             s["attributes"].get("gen_ai.input.messages", "")]
    assert len(found) == 3, found
    return found


def _points(recorded: Recorded, metric: str) -> list[dict[str, Any]]:
    return recorded["metrics"].get(metric, [])


# --- the checks, one per row -------------------------------------------------------------------------------------

def _no_raise(recorded: Recorded) -> None:
    # usage_of raised in every OpenAI call (6 plain, 3 streams): counted and swallowed, the calls returned
    assert recorded["internal_errors"] == {"response": 6, "stream.result": 3}


def _per_stream(recorded: Recorded) -> None:
    # one time-per-chunk record per stream (3 streams of several chunks each), not one per chunk
    assert sum(p["value"] for p in _points(recorded, "gen_ai.client.operation.time_per_output_chunk")) == 3


def _our_anthropic_spans(recorded: Recorded) -> None:
    assert len(_ours(recorded, "claude-haiku-4-5")) == 3


def _builtin_providers(recorded: Recorded) -> None:
    assert {s["attributes"]["gen_ai.provider.name"] for s in _ours(recorded, "gpt-4o-mini")} == {"openai"}


def _auto_usage(recorded: Recorded) -> None:
    # auto leaves an unknown host (the fake server) alone: no include_usage added, so the streams carry no tokens
    streams = _openai_spans(recorded, True)
    assert len(streams) == 3
    assert not any("gen_ai.usage.input_tokens" in s["attributes"] for s in streams)


def _no_budget(recorded: Recorded) -> None:
    assert sum(p["value"] for p in _points(recorded, "genai_otel.client.cost")) > 0  # the calls did cost something
    assert sum(p["value"] for p in _points(recorded, "genai_otel.budget.exceeded")) == 0
    assert not [e for e in recorded["events"] if e["name"] == "genai_otel.budget.exceeded"]


def _day_window(recorded: Recorded) -> None:
    [event] = [e for e in recorded["events"] if e["name"] == "genai_otel.budget.exceeded"]
    assert event["attributes"]["genai_otel.budget.window_s"] == 86400.0


def _default_retention(recorded: Recorded) -> None:
    assert recorded["found"]["retention"] == "Retention(max_age_s=2592000.0, max_rows=100000)"
    assert recorded["found"]["stored_rows"] == 12


def _no_content(recorded: Recorded) -> None:
    assert len(_ours(recorded)) == 12
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output")) for s in _ours(recorded) for k in s["attributes"])
    assert not [e for e in recorded["events"] if e["name"] == "gen_ai.client.inference.operation.details"]


def _all_redactors(recorded: Recorded) -> None:
    for text in _input_messages(recorded):
        assert "<EMAIL>" in text and "ann@example.com" not in text


def _no_patterns(recorded: Recorded) -> None:
    for text in _input_messages(recorded):
        assert "EMP-123456" in text and "<EMAIL>" in text  # no pattern of ours; the built-in detectors still run


def _attribute_budget(recorded: Recorded) -> None:
    for text in _input_messages(recorded):
        assert 15_000 < len(text.encode()) <= 16384  # cut to the default budget
    truncated = _points(recorded, "genai_otel.content.truncated")
    assert {"attributes": {"genai_otel.content.location": "gen_ai.input.messages"}, "value": 3} in truncated


def _event_budget(recorded: Recorded) -> None:
    events = [e for e in recorded["events"] if e["name"] == "gen_ai.client.inference.operation.details"
              and e["attributes"].get("gen_ai.request.model") == "gpt-4o-mini"
              and "EMP" in json.dumps(e["attributes"].get("gen_ai.input.messages"))]
    assert len(events) == 3
    for event in events:  # ~40 KB of prompt fits the default 64 KiB whole
        assert "x" * 40_000 in json.dumps(event["attributes"]["gen_ai.input.messages"])


def _no_binary(recorded: Recorded) -> None:
    for text in _input_messages(recorded):
        [image] = [p for m in json.loads(text) for p in m["parts"] if p.get("modality") == "image"]
        assert (image["content"], image["content_omitted"]) == ("", True) and "iVBORw0KGgo" not in text


def _no_hooks(recorded: Recorded) -> None:
    assert len(_ours(recorded)) == 12
    assert not any(k.startswith("app.") for s in _ours(recorded) for k in s["attributes"])


def _sync_budget(recorded: Recorded) -> None:
    assert recorded["found"]["hook_budget"][0] == 0.1


def _async_timeout(recorded: Recorded) -> None:
    assert recorded["found"]["hook_budget"][1] == 60.0


def _no_metric_attributes(recorded: Recorded) -> None:
    assert all(s["attributes"]["app.hooked"] is True for s in _ours(recorded))  # the hook ran on every call
    durations = _points(recorded, "gen_ai.client.operation.duration")
    assert durations and not any(k.startswith(("app.", "gen_ai.tenant")) for p in durations for k in p["attributes"])


def _suppressed(recorded: Recorded) -> None:
    assert recorded["found"]["others_skipped"] == "opentelemetry-instrumentation-openai-v2"


def _thread_context(recorded: Recorded) -> None:
    assert [s["parent"] for s in _ours(recorded, "gpt-4o-mini")].count("app.parent") == 3


E = environment_variables
ROWS: tuple[Row, ...] = (
    Row(E.GENAI_OTEL_RAISE_INTERNAL_ERRORS, "maybe", "false: an internal error is logged, counted and swallowed",
        _no_raise, extra="fault", errors_logged=True),
    Row(E.GENAI_OTEL_CHUNK_TIMING, "per_token", "per_stream", _per_stream),
    Row(E.GENAI_OTEL_ANTHROPIC_NATIVE_SPANS, "perhaps", "false: genai-otel's span for every Anthropic call",
        _our_anthropic_spans),
    Row(E.GENAI_OTEL_PROVIDER_HOSTS, "127.0.0.1 azure.ai.openai", "unset: the built-in host table",
        _builtin_providers),
    Row(E.GENAI_OTEL_OPENAI_STREAM_USAGE, "sometimes", "auto", _auto_usage),
    Row(E.GENAI_OTEL_BUDGET_USD, "lots", "unset: no budget", _no_budget),
    Row(E.GENAI_OTEL_BUDGET_WINDOW, "fortnight", "24h", _day_window, env={E.GENAI_OTEL_BUDGET_USD: "0.0000001"}),
    Row(E.GENAI_OTEL_LOCAL_STORE_RETENTION, "forever", "30d,100000", _default_retention, extra="store"),
    Row(E.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, "SPAN", "NO_CONTENT", _no_content),
    Row(E.GENAI_OTEL_REDACT, "bogus", "all", _all_redactors, env=CONTENT_ON),
    Row(E.GENAI_OTEL_REDACT_PATTERNS, "{not json", "unset: no patterns", _no_patterns, env=CONTENT_ON),
    Row(E.GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES, "16k", "16384", _attribute_budget, env=CONTENT_ON),
    Row(E.GENAI_OTEL_CONTENT_MAX_EVENT_BYTES, "100", "65536 (100 is under the minimum of 256)", _event_budget,
        env=CONTENT_ON),
    Row(E.GENAI_OTEL_CONTENT_KEEP_BINARY, "maybe", "false", _no_binary, env=CONTENT_ON),
    Row(E.GENAI_OTEL_HOOKS, "no_such_module:hook", "unset: no hooks", _no_hooks),
    Row(E.GENAI_OTEL_HOOK_TIMEOUT_MS, "fast", "100 (ms)", _sync_budget, extra="hook_budget"),
    Row(E.GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S, "-1", "60 (s)", _async_timeout, extra="hook_budget"),
    Row(E.GENAI_OTEL_HOOK_METRIC_ATTRIBUTES, "gen_ai.tenant", "unset: hooks add no metric attributes",
        _no_metric_attributes, extra="hook"),
    Row(E.GENAI_OTEL_OTHER_INSTRUMENTATIONS, "both", "suppress", _suppressed, extra="others"),
    Row(E.GENAI_OTEL_THREAD_CONTEXT, "sometimes", "true: pool tasks run in the submitter's context",
        _thread_context),
)

NOT_VALUE_CHECKED: dict[str, str] = {
    E.GENAI_OTEL_DISABLED_INSTRUMENTORS: "OpenTelemetry's own list of entry-point names, read by "
    "opentelemetry-instrument: a name that matches nothing disables nothing (OpenTelemetry's behaviour, not ours)",
    E.GENAI_OTEL_PRICES_FILE: "a path: a file that cannot be used is reported in one logged error naming the file "
    "and every problem in it, and the bundled prices apply (tests/pricing)",
    E.GENAI_OTEL_LOCAL_STORE_PATH: "a path: a store that cannot be opened or written is reported once, naming the "
    "path (tests/localstore)",
    E.GENAI_OTEL_PROMPT_HASH_SALT: "any non-empty string is a valid salt",
    "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "the OpenTelemetry SDK validates it (a bad value raises ValueError, "
    "naming the variable and the value, when the TracerProvider is made); we read a valid one for the content budget",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "as OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
}


def _environment(row: Row) -> dict[str, str]:
    env = {E.GENAI_OTEL_RAISE_INTERNAL_ERRORS: "true", "BAD_CONFIG_APP_EXTRA": row.extra}
    env.update(row.env)
    env[row.variable] = row.value
    return env


pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the cases are forked processes")


@pytest.fixture(scope="module")
def runs() -> dict[str, Recorded]:
    """Every row's record: one process imports the SDKs and forks a fresh child per row (~1 s each)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, str(APP)], env=env, input=json.dumps([_environment(r) for r in ROWS]),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip((row.variable for row in ROWS), json.loads(done.stdout), strict=True))


@pytest.mark.parametrize("row", ROWS, ids=[row.variable for row in ROWS])
def test_bad_value_warns_once_and_the_default_applies(row: Row, runs: dict[str, Recorded]) -> None:
    recorded = runs[row.variable]
    assert "crashed" not in recorded, recorded.get("crashed")
    assert recorded["answers"] == [ANSWER] * 12
    naming = [r for r in recorded["records"] if row.variable in r[2] and row.value in r[2]]
    assert len(naming) == 1, recorded["records"]
    assert naming[0][:2] == ["genai_otel", "WARNING"]
    errors = [r for r in recorded["records"] if r[1] in ("ERROR", "CRITICAL")]
    if row.errors_logged:
        assert [r[2] for r in errors] == [  # once per kind
            f"genai-otel internal error in {kind} (further ones of this kind are counted, not logged)"
            for kind in ("response", "stream.result")]
    else:
        assert errors == []
        assert recorded["internal_errors"] == {}
    row.check(recorded)


def test_every_variable_has_a_row() -> None:
    read = {getattr(environment_variables, name) for name in environment_variables.__all__}
    rows = {row.variable for row in ROWS}
    assert len(rows) == len(ROWS), "one row per variable"
    assert read - rows - set(NOT_VALUE_CHECKED) == set(), "add a row to ROWS, or a reason to NOT_VALUE_CHECKED"
    assert rows & set(NOT_VALUE_CHECKED) == set()
    assert rows - read == set(), "a row for a variable environment_variables.py does not list"
