"""Hooks with no code in the app: ``GENAI_OTEL_HOOKS``, the ``genai_otel_hooks`` entry points, the metric
attribute allow-list; bad values warn once, naming the variable and the value. Each case runs a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.extending.conftest import ANSWER

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("hooks_app.py")


def _run(server: FakeLLMServer, env: dict[str, str], extra_path: Path | None = None) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
    paths = [str(extra_path)] if extra_path else []
    clean.update(env, OPENAI_BASE_URL=server.openai_base_url, OPENAI_API_KEY="sk-test",
                 PYTHONPATH=os.pathsep.join([*paths, str(ROOT)]))
    result = subprocess.run([sys.executable, str(APP)], env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _entry_points(tmp_path: Path, lines: str) -> Path:
    dist = tmp_path / "genai_otel_sample_hooks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genai-otel-sample-hooks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[genai_otel_hooks]\n{lines}\n")
    return tmp_path


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeLLMServer() as fake:
        yield fake


def test_hooks_from_the_environment(server: FakeLLMServer) -> None:
    recorded = _run(server, {
        "GENAI_OTEL_HOOKS": "tests.extending.sample_hooks, tests.extending.sample_hooks:tag_tenant",
        "GENAI_OTEL_HOOK_METRIC_ATTRIBUTES": "app.tenant, app.feature",
    })
    assert recorded["span"] == {"app.module_before": True, "app.module_end": ANSWER, "app.tenant": "acme"}
    assert recorded["duration"]["app.tenant"] == "acme"
    assert recorded["logs"] == []


def test_hooks_from_entry_points(server: FakeLLMServer, tmp_path: Path) -> None:
    path = _entry_points(tmp_path, "sample = tests.extending.sample_hooks:EntryPointHooks\n"
                                   "broken = tests.extending.sample_hooks:missing")
    recorded = _run(server, {}, extra_path=path)
    assert recorded["span"] == {"app.from_entry_point": "gpt-4o-mini"}
    assert recorded["logs"] == [
        "genai-otel: ignoring hook entry point 'broken' = 'tests.extending.sample_hooks:missing' (AttributeError: "
        "module 'tests.extending.sample_hooks' has no attribute 'missing')"]


def test_bad_targets_and_names_warn_and_are_skipped(server: FakeLLMServer) -> None:
    recorded = _run(server, {
        "GENAI_OTEL_HOOKS": "no_such_module:hook,tests.extending.sample_hooks:tag_tenant,json:dumps.nope",
        "GENAI_OTEL_HOOK_METRIC_ATTRIBUTES": "gen_ai.request.model,app tenant",
    })
    assert recorded["span"] == {"app.tenant": "acme"}
    assert "app.tenant" not in recorded["duration"]  # not allowed: the only names given were refused
    assert recorded["logs"] == [
        "genai-otel: ignoring ['gen_ai.request.model', 'app tenant'] in GENAI_OTEL_HOOK_METRIC_ATTRIBUTES="
        "'gen_ai.request.model,app tenant' (names must not contain spaces or use the gen_ai. / genai_otel. "
        "namespaces)",
        "genai-otel: ignoring GENAI_OTEL_HOOKS entry 'no_such_module:hook' (ModuleNotFoundError: No module named "
        "'no_such_module'); expected package.module:function or an object with before/success/failure/end",
        "genai-otel: ignoring GENAI_OTEL_HOOKS entry 'json:dumps.nope' (AttributeError: 'function' object has no "
        "attribute 'nope'); expected package.module:function or an object with before/success/failure/end",
        "genai-otel: a hook set metric attribute 'app.tenant', which is not in GENAI_OTEL_HOOK_METRIC_ATTRIBUTES; "
        "ignored",
    ]
