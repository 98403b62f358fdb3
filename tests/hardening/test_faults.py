"""Every step of genai-otel's own code, made to raise in turn, changes nothing the application sees.

For each scenario (a call, a stream read, left, closed, abandoned or cut, a failing call, raw responses, SDK helpers,
sync and async, both SDKs) the steps are found by running it once under a profiler (``genai_otel.testing.faults``),
so steps added later are covered without being listed. Then, for each step, the step raises and the scenario runs
again, and:

- what the application saw (values, chunks, exceptions, types, fields set) equals the uninstrumented run's
  (``suppress_instrumentation()``), exactly but for the fake server's per-request ids and timestamps;
- the internal-error count went up, in the process tally and in the ``genai_otel.internal.errors`` metric;
- no span is left open (``OpenSpanTracker`` counts ``on_start`` / ``on_end``).

``test_named_faults`` does the same for the steps the issue names, asserting the exact error kind of each, and for
faults in the OpenTelemetry SDK our code calls (span attributes, status, histogram records) and in exporters.
"""

from __future__ import annotations

import gc
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

from genai_otel.genai import _safety
from genai_otel.testing.faults import InjectedFault, find_step, inject, steps_called
from tests.conftest import Telemetry
from tests.hardening._scenarios import SCENARIOS, Clients, Scenario, observe
from tests.hardening.conftest import EXPORT, FIGURES, TRACKER, internal_errors_swallowed

_by_name = {scenario.name: scenario for scenario in SCENARIOS}
_covered: set[tuple[str, tuple[str, ...]]] = set()
"""(step, the genai-otel frames above it) already faulted by an earlier scenario: not faulted again."""

_USAGE_ADDED = "openai.chat.stream.usage_added"
KNOWN_RESIDUALS: dict[tuple[str, str], str] = {
    (_USAGE_ADDED, step): "the request asks for usage because we added include_usage: when building the stream "
    "proxy (or the hiding itself) fails, the caller gets the SDK stream as is, so it also sees the usage chunk and "
    "the usage fields it did not ask for (and nothing else changes). The same when an accumulator layer above the "
    "hiding one (the hooks' text tap) fails as a whole"
    for step in (
        "genai_otel.instrumentation._stainless.SdkShapes.classify",
        "genai_otel.instrumentation._results.deliver",
        "genai_otel.instrumentation.openai.adapter.ChatSurface.accumulator",
        "genai_otel.instrumentation.openai._accumulator.ChatStreamAccumulator.__init__",
        "genai_otel.instrumentation.openai._content.ChatOutput.__init__",
        "genai_otel.instrumentation.openai._stream_usage.hiding_added_usage",
        "genai_otel.instrumentation.openai._stream_usage._HidingAccumulator.__init__",
        "genai_otel.instrumentation.openai._stream_usage._HidingAccumulator.add",
        "genai_otel.instrumentation.openai._stream_usage._unsend",
        "genai_otel.instrumentation._extensions.tap_stream",
        "genai_otel.instrumentation._json_output.TextTap.__init__",
        "genai_otel.instrumentation._json_output.TextTap.add",  # wraps the hiding one: replaced whole, it never runs
        "genai_otel.genai.stream.StreamState.__init__",
        "genai_otel.genai.stream._StreamProxyBase.__init__",
    )
}
"""Faults whose only effect on the application is known, and checked to be exactly that (see ``_only_usage_added``)."""


def _only_usage_added(got: str, expected: str) -> bool:
    """Whether ``got`` is ``expected`` plus the usage that ``include_usage`` adds (its chunk and fields), no more."""
    def strip(seen: dict[str, Any]) -> dict[str, Any]:
        chunks = []
        for chunk in seen["returned"]["chunks"]:
            if not chunk["all"]["choices"] and chunk["all"].get("usage") is not None:
                continue
            chunk["all"]["usage"] = None
            chunk["sent"].pop("usage", None)
            chunks.append(chunk)
        seen["returned"]["chunks"] = chunks
        return seen

    return strip(json.loads(got)) == strip(json.loads(expected)) and got != expected


def _require(scenario: Scenario) -> None:
    pytest.importorskip(scenario.provider, reason=f"{scenario.provider} is not installed in this environment")


def _baseline(scenario: Scenario, clients: Clients) -> str:
    with suppress_instrumentation():
        return observe(scenario, clients)


def _internal_errors(telemetry: Telemetry) -> dict[str, int]:
    points = telemetry.metric_points("genai_otel.internal.errors")
    return {p["attributes"]["genai_otel.error.kind"]: p["value"] for p in points}


def _tally(before: dict[str, int]) -> dict[str, int]:
    after = _safety.error_counts()
    return {kind: count - before.get(kind, 0) for kind, count in after.items() if count != before.get(kind, 0)}


@contextmanager
def _watching(telemetry: Telemetry) -> Iterator[dict[str, Any]]:
    """Counts what one faulted run did: internal errors (tally and metric), spans opened and left open."""
    telemetry.clear()
    gc.collect(1)  # young objects: a full collection costs ~0.2 s here, and is done only when a span looks open
    open_before = len(TRACKER.open_spans())
    started_before = TRACKER.started
    counts_before = _safety.error_counts()
    seen: dict[str, Any] = {}
    yield seen
    gc.collect(1)
    if len(TRACKER.open_spans()) > open_before:
        gc.collect()  # an abandoned stream held in a reference cycle ends only now
    seen["kinds"] = _tally(counts_before)
    seen["metric"] = _internal_errors(telemetry)
    seen["left_open"] = len(TRACKER.open_spans()) - open_before
    seen["spans"] = TRACKER.started - started_before


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_every_step_can_fail(scenario: Scenario, clients: Clients, recorded: Telemetry) -> None:
    _require(scenario)
    with internal_errors_swallowed():
        expected = _baseline(scenario, clients)
        assert observe(scenario, clients) == expected, "instrumented without faults, the app saw something else"
        found = steps_called(lambda: observe(scenario, clients))
        assert found.steps, "no genai-otel step ran: is the scenario instrumented?"
        problems: list[str] = []
        survived = reached = covered = residual = 0
        kinds: dict[str, int] = {}
        for step in found.steps:
            paths = {(step.name, path) for path in found.paths[step.name]}
            if paths <= _covered and scenario.name != _USAGE_ADDED:  # there, the effect depends on the scenario
                covered += 1
                continue
            with _watching(recorded) as seen, inject(step) as fault:
                got = observe(scenario, clients)
            if not fault.raised:
                continue  # run once per process (a cache filled, a warning given): not reached again
            _covered.update(paths)
            reached += 1
            failures = []
            known = KNOWN_RESIDUALS.get((scenario.name, step.name))
            if known is not None and _only_usage_added(got, expected):
                residual += 1
            elif got != expected:
                failures.append(f"the app saw something else:\n      faulted:  {got[:600]}\n      expected: "
                                f"{expected[:600]}")
            if not seen["kinds"]:
                failures.append("no internal error was counted")
            elif sum(seen["metric"].values()) < sum(seen["kinds"].values()):
                failures.append(f"internal errors {seen['kinds']} but metric points {seen['metric']}")
            if seen["left_open"]:
                failures.append(f"{seen['left_open']} span(s) left open")
            if failures:
                problems.append(f"{step.name}: " + "; ".join(failures))
            else:
                survived += 1
            for kind in seen["kinds"]:
                kinds[kind] = kinds.get(kind, 0) + 1
        FIGURES[f"faults {scenario.name}"] = (
            f"{len(found.steps)} steps found ({len(found.guards)} guard-layer functions, {len(found.unpatchable)} "
            f"closures), {covered} already faulted on the same path by an earlier scenario, {reached} injected, "
            f"{survived} survived ({residual} of them with the known, checked residual); "
            f"kinds {dict(sorted(kinds.items()))}")
        assert reached or covered, "no step was reached a second time"
        assert not problems, "\n  ".join([f"{len(problems)} of {reached} faults changed something:", *problems])


# --- the steps the issue names, with their exact error kinds ---------------------------------------------------------

def _sdk_raising(owner: Any, attribute: str) -> Callable[[pytest.MonkeyPatch], None]:
    def apply(monkeypatch: pytest.MonkeyPatch) -> None:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise InjectedFault(f"fault injected into {owner.__qualname__}.{attribute}")

        monkeypatch.setattr(owner, attribute, fail)

    return apply


class _RaisingExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        raise InjectedFault("fault injected into an exporter")

    def shutdown(self) -> None:
        pass


def _exporting(step: str | None, batch: bool = False) -> Callable[[pytest.MonkeyPatch], None]:
    """Spans also go to an exporter: genai-otel's local store with ``step`` raising, or (None) one that raises."""
    def apply(monkeypatch: pytest.MonkeyPatch) -> None:
        injection = None
        if step is None:
            exporter: SpanExporter = _RaisingExporter()
        else:
            from genai_otel.localstore.exporter import LocalStoreSpanExporter

            exporter = LocalStoreSpanExporter(Path(tempfile.mkdtemp()) / "calls.sqlite3")
            injection = inject(find_step(step))
            injection.__enter__()
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=10) if batch else SimpleSpanProcessor(exporter)

        def undo() -> None:
            EXPORT.target = None
            processor.shutdown()
            if injection is not None:
                injection.__exit__(None, None, None)

        monkeypatch.setattr(EXPORT, "target", processor)
        monkeypatch.setattr(EXPORT, "flush", processor.force_flush, raising=False)
        monkeypatch.setattr(EXPORT, "_undo", undo, raising=False)

    return apply


def _named() -> list[Any]:
    from opentelemetry.sdk.metrics._internal.instrument import _Histogram
    from opentelemetry.sdk.trace import Span, Tracer

    ours = "genai_otel.instrumentation.openai"
    rows = [
        # (what, scenario, our step or an SDK patch, expected kinds)
        ("request parsing", "openai.chat", f"{ours}.adapter.ChatSurface.request", {"request"}),
        ("request parsing", "anthropic.messages",
         "genai_otel.instrumentation.anthropic.adapter.MessagesSurface.request", {"request"}),
        ("span start", "openai.chat", "genai_otel.genai.recorder.Recorder.start", {"request"}),
        ("span start (SDK)", "openai.chat", _sdk_raising(Tracer, "start_span"), {"request"}),
        ("span attributes (SDK)", "openai.chat", _sdk_raising(Span, "set_attributes"), {"response"}),
        ("span attributes (SDK), stream", "openai.chat.stream", _sdk_raising(Span, "set_attributes"),
         {"stream.finish"}),
        ("span status (SDK)", "openai.chat.error", _sdk_raising(Span, "set_status"), {"error"}),
        ("exception event (SDK)", "openai.chat.error", _sdk_raising(Span, "record_exception"), {"error"}),
        ("response parsing", "openai.chat", f"{ours}.adapter.ChatSurface.response", {"response"}),
        ("response parsing", "anthropic.messages",
         "genai_otel.instrumentation.anthropic.adapter.MessagesSurface.response", {"response"}),
        ("usage", "openai.chat", f"{ours}._usage.usage_of", {"response"}),
        ("chunk accumulation", "openai.chat.stream", f"{ours}._accumulator.ChatStreamAccumulator.add",
         {"stream.chunk"}),
        ("chunk accumulation", "anthropic.messages.stream",
         "genai_otel.instrumentation.anthropic._accumulator.MessageStreamAccumulator.add", {"stream.chunk"}),
        ("stream summary", "openai.chat.stream", f"{ours}._accumulator.ChatStreamAccumulator.result",
         {"stream.result"}),
        ("metric recording", "openai.chat", "genai_otel.genai.recorder.Recorder._record_metrics", {"response"}),
        ("metric recording, stream", "openai.chat.stream", "genai_otel.genai.recorder.Recorder._record_metrics",
         {"stream.finish"}),
        ("metric recording (SDK histogram)", "openai.chat", _sdk_raising(_Histogram, "record"), {"response"}),
        ("cost", "openai.chat", "genai_otel.genai.cost.CostRecorder.record", {"cost"}),
        ("cost", "anthropic.messages", "genai_otel.genai.cost.CostRecorder.record", {"cost"}),
        ("content capture", "openai.chat", "genai_otel.genai.content._capture.ContentCapture.finish", {"content"}),
        ("content capture (prompt)", "openai.chat", "genai_otel.genai.content._capture.ContentCapture.read_prompt",
         {"request"}),
        ("hooks, before the call", "openai.chat", "genai_otel.genai._hook_runner.HookRunner.run",
         {"hooks.before", "hooks.after"}),
        ("hooks, at the end", "openai.chat", "genai_otel.instrumentation._extensions.Extensions._after_hooks",
         {"hooks.after"}),
        ("JSON output check", "openai.chat.json", "genai_otel.instrumentation._extensions.Extensions._check_json",
         {"extensions.finish"}),
        ("export: a local-store row", "openai.chat", _exporting("genai_otel.localstore.exporter.span_to_row"),
         {"localstore.row"}),
        ("export: the local-store write", "openai.chat", _exporting("genai_otel.localstore.store.Store._write_once"),
         {"localstore.write"}),
        ("export: an exporter raising, simple processor", "openai.chat", _exporting(None, batch=False), set()),
        ("export: an exporter raising, batch processor", "openai.chat", _exporting(None, batch=True), set()),
    ]
    return rows


def _named_ids() -> list[str]:
    return [f"{what} [{scenario}]" for what, scenario, *_ in _named()]


@pytest.mark.parametrize(("what", "scenario_name", "fault", "kinds"), _named(), ids=_named_ids())
def test_named_faults(what: str, scenario_name: str, fault: Any, kinds: set[str], clients: Clients,
                      recorded: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _by_name[scenario_name]
    _require(scenario)
    with internal_errors_swallowed():
        expected = _baseline(scenario, clients)
        with _watching(recorded) as seen:
            if isinstance(fault, str):
                with inject(find_step(fault)) as injected:
                    got = observe(scenario, clients)
                assert injected.raised, f"{fault} was not reached"
            else:
                with monkeypatch.context() as patch:
                    fault(patch)
                    try:
                        got = observe(scenario, clients)
                        flush = getattr(EXPORT, "flush", None)
                        if flush is not None:
                            assert flush(), "the exporter's processor did not flush"
                    finally:
                        undo = getattr(EXPORT, "_undo", None)
                        if undo is not None:
                            undo()
    assert got == expected
    assert set(seen["kinds"]) == kinds, seen
    assert set(seen["metric"]) == kinds, seen
    assert seen["spans"] in (0, 1) and seen["left_open"] == 0, seen
    FIGURES[f"named fault {what} [{scenario_name}]"] = f"survived, kind {sorted(kinds)}"
