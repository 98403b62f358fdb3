"""SDK versions: out of the supported range an instrumentor steps aside with one clear log line; a patch target that
an SDK version lacks is skipped, not an error.

Out of range is shown two ways: here, by shadowing the installed SDK's metadata with an older version (so the real
SDK still runs, and an accidental patch would show), and in ``scripts/matrix.sh``'s ``out-of-range`` environment
with genuinely older SDKs (openai 0.28, anthropic 0.39), where ``test_the_installed_sdks`` runs for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from genai_otel.testing.fake_llm import FakeLLMServer

APP = Path(__file__).with_name("version_app.py")
ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"


def _ranges() -> dict[str, Requirement]:
    from genai_otel.instrumentation.anthropic.package import _instruments as anthropic_range
    from genai_otel.instrumentation.openai.package import _instruments as openai_range

    return {req.name: req for req in map(Requirement, (*openai_range, *anthropic_range))}


def _raw_range(sdk: str) -> str:
    from genai_otel.instrumentation.anthropic.package import _instruments as anthropic_range
    from genai_otel.instrumentation.openai.package import _instruments as openai_range

    return next(raw for raw in (*openai_range, *anthropic_range) if Requirement(raw).name == sdk)


def _installed(sdk: str) -> str | None:
    try:
        return version(sdk)
    except PackageNotFoundError:
        return None


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def _run(fake_llm: FakeLLMServer, *, by_hand: bool = False, pythonpath: Path | None = None) -> tuple[dict, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
    env.update(FAKE_LLM_URL=fake_llm.url, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none",
               OTEL_LOGS_EXPORTER="none", GENAI_OTEL_RAISE_INTERNAL_ERRORS="true",
               PYTHONPATH=os.pathsep.join(p for p in (str(pythonpath or ""), str(ROOT)) if p))
    if by_hand:
        env["INSTRUMENT_BY_HAND"] = "1"
    command = [sys.executable, str(APP)] if by_hand else [str(INSTRUMENT), sys.executable, str(APP)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr.splitlines()


def _older_metadata(tmp_path: Path, sdk: str) -> str:
    """A dist-info that makes ``importlib.metadata`` report a version just below the supported range."""
    floor = next(spec.version for spec in _ranges()[sdk].specifier if spec.operator == ">=")
    release = Version(floor).release
    older = f"{release[0]}.{release[1] - 1}.0" if release[1] else f"{release[0] - 1}.99.0"
    info = tmp_path / f"{sdk}-{older}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {sdk}\nVersion: {older}\n")
    return older


def _skip_lines(stderr: list[str], sdk: str) -> list[str]:
    return [line for line in stderr if sdk in line and "not instrumented" in line]


@pytest.mark.parametrize("by_hand", [False, True], ids=["opentelemetry-instrument", "instrument()"])
@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_an_sdk_below_the_range_is_left_alone_with_one_log_line(sdk: str, by_hand: bool, fake_llm: FakeLLMServer,
                                                               tmp_path: Path) -> None:
    if _installed(sdk) is None:
        pytest.skip(f"{sdk} is not installed in this environment")
    older = _older_metadata(tmp_path, sdk)
    seen, stderr = _run(fake_llm, by_hand=by_hand, pythonpath=tmp_path)
    [line] = _skip_lines(stderr, sdk)
    assert f"{sdk} {older}" in line and _raw_range(sdk) in line
    assert len(stderr) == 1, stderr  # nothing else is said about it
    assert seen[sdk]["answer"].startswith("word0") and seen[sdk]["wrapped"] is False
    other = "anthropic" if sdk == "openai" else "openai"
    if other in seen and "wrapped" in seen[other]:
        assert seen[other]["wrapped"] is True  # the other SDK, in range, is instrumented as usual


def test_the_installed_sdks(fake_llm: FakeLLMServer) -> None:
    """In range: instrumented, silently. Out of range (the matrix's out-of-range environment): one line, untouched."""
    seen, stderr = _run(fake_llm)
    for sdk, requirement in _ranges().items():
        installed = _installed(sdk)
        if installed is None:
            continue
        in_range = requirement.specifier.contains(installed, prereleases=True)
        lines = _skip_lines(stderr, sdk)
        assert seen[sdk]["version"] == installed
        if in_range:
            assert lines == [] and seen[sdk]["wrapped"] is True, (sdk, installed, stderr)
        else:
            assert len(lines) == 1 and f"{sdk} {installed}" in lines[0], (sdk, installed, stderr)
            assert seen[sdk].get("wrapped", False) is False
    assert not [line for line in stderr if "Traceback" in line or "internal error" in line], stderr


_MISSING_TARGETS = """
import json, logging, sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from genai_otel.genai import _safety
from genai_otel.instrumentation._base import GenAIInstrumentor, PatchTarget
from genai_otel.instrumentation.openai.adapter import OpenAIAdapter
from genai_otel.instrumentation.openai.package import _instruments

MISSING = [("openai.resources.no_such_module", "Thing.create"),
           ("openai.resources.chat.completions.completions", "NoSuchClass.create"),
           ("openai.resources.chat.completions.completions", "Completions.no_such_method")]

class WithMissingTargets(OpenAIAdapter):
    def targets(self):
        real = list(super().targets())
        return [*(PatchTarget(module, method, real[0].surface) for module, method in MISSING), *real]

class Instrumentor(GenAIInstrumentor):
    _instruments = _instruments
    def _adapter(self):
        return WithMissingTargets()

records = []
handler = logging.Handler(level=logging.DEBUG)
handler.emit = records.append
logging.getLogger("genai_otel").addHandler(handler)
logging.getLogger("genai_otel").setLevel(logging.DEBUG)
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
Instrumentor().instrument(tracer_provider=provider)
import openai
with openai.OpenAI(api_key="sk-test", base_url=sys.argv[1] + "/v1", max_retries=0) as client:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(json.dumps({"spans": [s.name for s in exporter.get_finished_spans()],
                  "logs": [(r.levelname, r.getMessage()) for r in records],
                  "internal_errors": _safety.error_counts()}))
"""


def test_a_patch_target_the_sdk_lacks_is_skipped_not_an_error(fake_llm: FakeLLMServer) -> None:
    env = {**os.environ, "GENAI_OTEL_RAISE_INTERNAL_ERRORS": "true", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", _MISSING_TARGETS, fake_llm.url], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr  # internal errors re-raise in this process: there were none
    seen = json.loads(result.stdout)
    assert seen["spans"] == ["chat gpt-4o-mini"]  # the targets this SDK has are patched
    assert seen["internal_errors"] == {}
    skipped = [message for level, message in seen["logs"] if level == "DEBUG" and "skipped" in message]
    for where in ("openai.resources.no_such_module.Thing.create", "NoSuchClass.create", "Completions.no_such_method"):
        assert any(where in message for message in skipped), (where, seen["logs"])
    assert not [message for level, message in seen["logs"] if level != "DEBUG"], seen["logs"]
