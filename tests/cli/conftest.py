"""The store every CLI test reads: filled once per session by ``fill_app.py`` running under
``opentelemetry-instrument`` with nothing configured, against the fake LLM server. Tests that change a store get a
copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.localstore._support import clean_env, run_instrumented, stored_rows
from tests.localstore.conftest import client  # noqa: F401 - a fixture shared with the store tests

FILL_APP = Path(__file__).with_name("fill_app.py")
CALLS = 12


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeLLMServer) -> Path:  # noqa: F811
    home = tmp_path_factory.mktemp("home")
    result = run_instrumented([str(FILL_APP)], clean_env(
        HOME=str(home), OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-fake",
        ANTHROPIC_BASE_URL=fake_llm.anthropic_base_url, ANTHROPIC_API_KEY="sk-ant-fake"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    store = home / ".local" / "share" / "genai-otel" / "calls.sqlite3"
    assert len(stored_rows(store)) == CALLS
    return store


@pytest.fixture
def store_copy(filled_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(filled_store, copy)
    return copy


@pytest.fixture(scope="session")
def rows(filled_store: Path) -> list[dict[str, Any]]:
    return stored_rows(filled_store)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """``run_cli(*argv) -> (status, stdout, stderr)``: ``genai-otel`` in process; argparse errors give status 2."""
    from genai_otel.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            status = main(list(argv))
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return status, out, err

    yield run
