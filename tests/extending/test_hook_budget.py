"""A slow hook never holds up the application: time budgets for sync hooks, timeouts for async ones.

The SDKs are instrumented here with ``GENAI_OTEL_HOOK_TIMEOUT_MS=50`` and ``GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S=0.2``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from genai_otel.hooks import CallView
from tests.extending.conftest import MODEL, USER, hook_failures, reinstrumented, wait_for

BUDGET_S = 0.05


@pytest.fixture(scope="module")
def extended(instrumented: None) -> Iterator[None]:
    with reinstrumented({"GENAI_OTEL_HOOK_TIMEOUT_MS": "50", "GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S": "0.2"}):
        yield


def _timed_call(client: openai.OpenAI) -> float:
    started = time.perf_counter()
    completion = client.chat.completions.create(model=MODEL, messages=USER)
    assert completion.choices[0].message.content
    return time.perf_counter() - started


def test_a_hung_hook_costs_the_app_one_budget_then_nothing(client: openai.OpenAI, telemetry: Any, hooks: Any,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    returned = threading.Event()
    runs: list[str] = []

    def slow(call: CallView) -> None:
        runs.append("started")
        if len(runs) == 1:
            release.wait(30)  # hangs until the test lets it go
            call.set_attribute("app.late", True)  # after its budget: ignored
            returned.set()

    hooks(slow, phase="before", name="slow")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert _timed_call(client) >= BUDGET_S  # waits the budget, then goes on without the hook
        assert not returned.is_set()  # the call came back while the hook still hangs
        _timed_call(client)  # the hook has not returned: skipped
        _timed_call(client)
    assert runs == ["started"]
    assert [r.getMessage() for r in caplog.records] == [  # once each, whatever the number of calls
        "genai-otel: before hook slow: overran its time budget; its later writes are ignored and it is skipped until "
        "it returns (the application is not affected; further ones are counted in genai_otel.hook.failures, not "
        "logged)",
        "genai-otel: before hook slow: skipped, as its previous run has not returned yet (the application is not "
        "affected; further ones are counted in genai_otel.hook.failures, not logged)"]
    assert hook_failures(telemetry) == {("slow", "before", "timeout"): 1, ("slow", "before", "skipped"): 2}
    release.set()
    assert returned.wait(5)
    time.sleep(0.05)  # the worker marks the hook as back once its late run has returned
    _timed_call(client)
    assert runs == ["started", "started"]  # back to normal
    spans = telemetry.genai_spans()
    assert len(spans) == 4 and not any("app.late" in s.attributes for s in spans)
    assert hook_failures(telemetry) == {("slow", "before", "timeout"): 1, ("slow", "before", "skipped"): 2}


def test_hooks_after_a_late_one_in_the_same_phase_are_skipped(client: openai.OpenAI, telemetry: Any,
                                                              hooks: Any) -> None:
    release = threading.Event()
    ran: list[str] = []

    def slow(call: CallView) -> None:
        release.wait(30)

    hooks(slow, name="slow-end")
    hooks(lambda call: ran.append("next"), name="next-end")
    _timed_call(client)
    release.set()
    wait_for(lambda: hook_failures(telemetry).get(("next-end", "end", "skipped")))
    assert ran == []
    assert hook_failures(telemetry) == {("slow-end", "end", "timeout"): 1, ("next-end", "end", "skipped"): 1}


def test_the_span_ends_when_the_call_did_not_after_its_hooks(client: openai.OpenAI, telemetry: Any,
                                                              hooks: Any) -> None:
    hook_started: list[int] = []

    def slow(call: CallView) -> None:
        hook_started.append(time.time_ns())
        time.sleep(0.03)  # within the budget: it runs to the end and its attribute lands
        call.set_attribute("app.checked", True)

    hooks(slow)
    client.chat.completions.create(model=MODEL, messages=USER)
    span = telemetry.only_span()
    assert span.attributes["app.checked"] is True
    assert span.end_time <= hook_started[0]  # the span's end was taken when the call ended, before the hook ran


async def test_an_async_hook_is_cancelled_after_its_timeout(aclient: openai.AsyncOpenAI, telemetry: Any,
                                                           hooks: Any) -> None:
    cancelled: list[bool] = []

    async def forever(call: CallView) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    hooks(forever, name="forever")
    await asyncio.wait_for(aclient.chat.completions.create(model=MODEL, messages=USER), 10)  # not awaited: 30 s
    deadline = time.monotonic() + 5
    while not hook_failures(telemetry) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert cancelled == [True]
    assert hook_failures(telemetry) == {("forever", "end", "timeout"): 1}


def test_bad_timeouts_warn_and_fall_back(instrumented: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        with reinstrumented({"GENAI_OTEL_HOOK_TIMEOUT_MS": "fast", "GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S": "-1"}):
            pass
    messages = [r.getMessage() for r in caplog.records]
    assert "genai-otel: ignoring GENAI_OTEL_HOOK_TIMEOUT_MS='fast' (expected a number); using the default 100.0" \
        in messages
    assert "genai-otel: ignoring GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S='-1' (expected a number >= 0.001); using the " \
           "default 60.0" in messages
