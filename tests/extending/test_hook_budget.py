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


def test_a_hung_hook_costs_the_app_one_budget_then_nothing(client: openai.OpenAI, telemetry: Any,
                                                           hooks: Any) -> None:
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
    first = _timed_call(client)  # waits the budget, then goes on without the hook
    assert BUDGET_S <= first < BUDGET_S + 1.0
    second = _timed_call(client)  # the hook has not returned: skipped, no wait at all
    assert second < 1.0
    assert runs == ["started"]
    assert hook_failures(telemetry) == {("slow", "before", "timeout"): 1, ("slow", "before", "skipped"): 1}
    release.set()
    assert returned.wait(5)
    time.sleep(0.05)  # the worker marks the hook as back once its late run has returned
    _timed_call(client)
    assert runs == ["started", "started"]  # back to normal
    spans = telemetry.genai_spans()
    assert len(spans) == 3 and not any("app.late" in s.attributes for s in spans)
    assert hook_failures(telemetry) == {("slow", "before", "timeout"): 1, ("slow", "before", "skipped"): 1}


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
    def slow(call: CallView) -> None:
        time.sleep(0.03)  # within the budget: it runs to the end and its attribute lands
        call.set_attribute("app.checked", True)

    hooks(slow)
    client.chat.completions.create(model=MODEL, messages=USER)
    span = telemetry.only_span()
    assert span.attributes["app.checked"] is True
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert abs((span.end_time - span.start_time) / 1e9 - duration["sum"]) < 0.01  # the hook's 30 ms not in it


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
    started = time.perf_counter()
    await aclient.chat.completions.create(model=MODEL, messages=USER)
    assert time.perf_counter() - started < 1.0
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
