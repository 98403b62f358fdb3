"""A small app for tests/hardening/test_bad_config.py: each case runs in a fresh process (settings are read once).

``python bad_config_app.py`` reads a JSON list of cases (each a dict of environment variables) from stdin, imports
the SDKs once, and forks one child per case, which sets the case's environment, starts collecting every log record
of WARNING and above (before genai_otel is first imported: some settings are read at import), starts the fake LLM
server, instruments both SDKs on in-memory providers, makes three rounds of calls (an OpenAI chat call with a long
prompt, an email address, an employee id and an image; an OpenAI stream read to its end; an Anthropic message; an
OpenAI call from a thread pool under an application span) and reports what was recorded. It prints the JSON list of
the cases' records.

``BAD_CONFIG_APP_EXTRA`` asks for more: ``fault`` (one of our steps raises on every call), ``hook`` (a hook that sets
a metric attribute), ``store`` (the local store exporter, in a temporary directory), ``others`` (what
opentelemetry-instrument would do with OpenTelemetry's own openai-v2 instrumentation), ``hook_budget`` (the time
budgets the hook runner was given).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import anthropic  # the SDKs and OpenTelemetry, imported once before the fork; genai_otel is not
import openai
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

assert not any(name.startswith("genai_otel") for name in sys.modules), "imported before a case's environment is set"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append([record.name, record.levelname, record.getMessage()])


PROMPT = "Contact ann@example.com about EMP-123456. " + "x" * 40_000
IMAGE = "data:image/png;base64," + "iVBORw0KGgo" * 20
ROUNDS = 3


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _calls(server: Any, tracer: Any) -> list[str]:
    oa = openai.OpenAI(api_key="sk-test", base_url=server.openai_base_url, max_retries=0)
    an = anthropic.Anthropic(api_key="sk-ant-test", base_url=server.anthropic_base_url, max_retries=0)
    answers: list[str] = []
    messages = [{"role": "user", "content": [{"type": "text", "text": PROMPT},
                                             {"type": "image_url", "image_url": {"url": IMAGE}}]}]
    with ThreadPoolExecutor(1) as pool:
        for _ in range(ROUNDS):
            answers.append(oa.chat.completions.create(model="gpt-4o-mini", messages=messages)
                           .choices[0].message.content or "")
            stream = oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                                stream=True)
            answers.append("".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))
            message = an.messages.create(model="claude-haiku-4-5", max_tokens=64,
                                         messages=[{"role": "user", "content": "Hi"}])
            answers.append(message.content[0].text)  # type: ignore[union-attr]
            with tracer.start_as_current_span("app.parent"):
                answers.append(pool.submit(lambda: oa.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]).choices[0].message.content
                                           or "").result())
    oa.close()
    an.close()
    return answers


def _metrics(reader: InMemoryMetricReader) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    entry: dict[str, Any] = {"attributes": dict(point.attributes or {})}
                    entry["value"] = point.count if hasattr(point, "bucket_counts") else point.value
                    out.setdefault(metric.name, []).append(entry)
    return out


def case(env: dict[str, str]) -> dict[str, Any]:
    """One case, in a process of its own."""
    os.environ.update(env)
    records = _Records()
    logging.getLogger().addHandler(records)
    from genai_otel.genai import _safety  # noqa: PLC0415 - only now: read at import
    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor  # noqa: PLC0415
    from genai_otel.instrumentation.openai import OpenAIInstrumentor  # noqa: PLC0415
    from genai_otel.testing.fake_llm import FakeLLMServer  # noqa: PLC0415

    extra = set(filter(None, os.environ.get("BAD_CONFIG_APP_EXTRA", "").split(",")))
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider([reader])
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    found: dict[str, Any] = {}
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if "store" in extra:
            from genai_otel.localstore.exporter import LocalStoreSpanExporter

            store = LocalStoreSpanExporter(os.path.join(tmp, "calls.sqlite3"))
            tracer_provider.add_span_processor(SimpleSpanProcessor(store))
            found["retention"] = repr(store._store.retention)
        if "hook" in extra:
            from genai_otel import add_hook

            def tag(view: Any) -> None:
                view.set_attribute("app.hooked", True)
                view.set_metric_attribute("app.tenant", "acme")

            add_hook(tag, phase="end", name="tag")
        for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor()):
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                    logger_provider=logger_provider)
        server = stack.enter_context(FakeLLMServer())
        if "fault" in extra:
            from genai_otel.testing.faults import inject

            openai.OpenAI  # noqa: B018 - the SDK is imported: our openai modules are loaded
            stack.enter_context(inject("genai_otel.instrumentation.openai._usage.usage_of"))
        answers = _calls(server, tracer_provider.get_tracer("app"))
        if "hook_budget" in extra:
            runner = OpenAIInstrumentor()._current[1].extensions._hooks
            found["hook_budget"] = [runner._timeout, runner._async_timeout]
        if "others" in extra:
            from types import SimpleNamespace

            from genai_otel._others import to_skip

            point = SimpleNamespace(name="openai-v2", value="opentelemetry.instrumentation.openai_v2:Instrumentor")
            skipped = to_skip(point, os.environ)
            found["others_skipped"] = skipped.distribution if skipped is not None else None
        tracer_provider.force_flush()
        if "store" in extra:
            import sqlite3

            with sqlite3.connect(os.path.join(tmp, "calls.sqlite3")) as conn:
                found["stored_rows"] = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span.name for span in finished}
    return {
        "answers": answers,
        "records": records.records,
        "internal_errors": _safety.error_counts(),
        "spans": [{"name": span.name, "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
                   "parent": by_id.get(span.parent.span_id) if span.parent else None,
                   "attributes": {k: _jsonable(v) for k, v in (span.attributes or {}).items()}}
                  for span in finished],
        "metrics": _metrics(reader),
        "events": [{"name": item.log_record.event_name,
                    "attributes": {k: _jsonable(v) for k, v in (item.log_record.attributes or {}).items()}}
                   for item in logs.get_finished_logs()],
        "found": found,
    }


def main() -> None:
    results = []
    for env in json.load(sys.stdin):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one case, its record down the pipe
            os.close(read)
            try:
                out = json.dumps(case(env), default=repr)
            except BaseException:  # noqa: BLE001 - reported to the test
                out = json.dumps({"crashed": traceback.format_exc()})
            with os.fdopen(write, "w") as pipe:
                pipe.write(out)
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        results.append(json.loads(text) if text else {"crashed": "no output"})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
