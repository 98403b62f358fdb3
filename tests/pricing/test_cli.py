"""``genai-otel prices``: in-process through ``main`` and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genai_otel.cli import build_parser, main
from genai_otel.genai.pricing import PRICES_FILE_ENV
from genai_otel.genai.pricing._schema import validate


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICES_FILE_ENV, raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse usage errors and --help
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_prices_is_registered() -> None:
    help_text = build_parser().format_help()
    assert "prices" in help_text


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys)
    assert status == 2 and "prices" in err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices")
    assert status == 0
    assert "(bundled;" in out
    for model in ("gpt-4o-mini", "o4-mini", "claude-sonnet-4-5", "claude-3-haiku"):
        assert f" {model} " in out


def test_list_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "--provider", "anthropic")
    assert status == 0
    assert "claude-opus-4-1" in out and "gpt-4o" not in out


def test_list_as_json_is_a_valid_price_document(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "--json")
    assert status == 0
    doc = json.loads(out)
    assert validate(doc) == []
    assert doc["providers"]["openai"]["models"]["gpt-4o"]["tiers"]["priority"]["input"] == 4.25


def test_list_shows_the_override_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"version": 1, "providers": {"openai": {"models": {"gpt-4o": {"input": 2.0}}}}}))
    monkeypatch.setenv(PRICES_FILE_ENV, str(path))
    status, out, _ = _run(capsys, "prices", "gpt-4o", "--json")
    assert status == 0 and json.loads(out)["openai"]["gpt-4o"]["input"] == 2.0
    status, out, _ = _run(capsys, "prices")
    assert status == 0 and f"bundled + {path}" in out


def test_lookup_shows_the_resolved_entry(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "gpt-4o-2024-08-06")
    assert status == 0
    assert out.startswith("gpt-4o (openai; 'gpt-4o-2024-08-06' matched by dated snapshot)")
    assert "priority" in out and "batch: 50% off" in out and "source: https://" in out


def test_lookup_with_a_provider(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "--provider", "aws.bedrock")
    assert status == 0
    assert out.startswith("claude-sonnet-4-5 (anthropic;") and "prompt > 200,000" in out


def test_lookup_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "o3", "--json")
    assert status == 0
    assert json.loads(out)["openai"]["o3"]["tiers"]["flex"]["output"] == 4.0


def test_unknown_model_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "prices", "gpt-4o-mini-tts")
    assert (status, out) == (1, "")
    assert "no price for 'gpt-4o-mini-tts'" in err
    status, _, err = _run(capsys, "prices", "gpt-4o", "--provider", "anthropic")
    assert status == 1 and "for provider 'anthropic'" in err


def test_price_a_usage(capsys: pytest.CaptureFixture[str]) -> None:
    # claude-sonnet-4-5, long context: 200,000 x 6 + 50,000 x 0.6 + 4,000 x 22.5 = 1.32
    status, out, _ = _run(
        capsys,
        "prices",
        "claude-sonnet-4-5",
        "--input",
        "250000",
        "--cached",
        "50000",
        "--output",
        "4000",
        "--reasoning",
        "1000",
    )
    assert status == 0
    assert "long-context rates" in out
    assert "total" in out and "1.320000" in out
    assert "1,000 reasoning tokens are billed as output" in out


def test_price_with_tier_batch_and_ttl(capsys: pytest.CaptureFixture[str]) -> None:
    # o3 flex: 10,000 x 1 + 2,000 x 4 = 0.018
    status, out, _ = _run(capsys, "prices", "o3", "--input", "10_000", "--output", "2,000", "--tier", "flex")
    assert status == 0 and "tier flex" in out and "0.018000" in out
    # gpt-5-mini batch: (100,000 x 0.25 + 10,000 x 2) x 0.5 = 0.0225
    status, out, _ = _run(capsys, "prices", "gpt-5-mini", "--input", "100000", "--output", "10000", "--batch")
    assert status == 0 and "batch x0.5" in out and "0.022500" in out
    # claude-opus-4-1, 1h writes: 2,000 x 15 + 10,000 x 30 + 1,000 x 75 = 0.405
    status, out, _ = _run(
        capsys,
        "prices",
        "claude-opus-4-1",
        "--input",
        "12000",
        "--cache-write",
        "10000",
        "--output",
        "1000",
        "--cache-ttl",
        "1h",
    )
    assert status == 0 and "cache write 1h" in out and "0.405000" in out


def test_price_notes_a_tier_the_model_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "prices", "gpt-4o", "--input", "1000", "--tier", "flex")
    assert status == 0 and "has no 'flex' tier" in out and "0.002500" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("prices", "gpt-4o", "--input", "5", "--cached", "10"),
        ("prices", "gpt-4o", "--output", "5", "--reasoning", "10"),
        ("prices", "gpt-4o", "--input", "-3"),
        ("prices", "gpt-4o", "--input", "many"),
        ("prices", "--input", "5"),
        ("prices", "gpt-4o", "--input", "5", "--json"),
        ("prices", "gpt-4o", "--check", "x.json"),
        ("prices", "gpt-4o", "--cache-ttl", "2h"),
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    status, _, err = _run(capsys, *argv)
    assert status == 2 and "error" in err


def test_check_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.toml"
    path.write_text('version = 1\n[providers.openai.models."gpt-4o"]\ninput = 2.0\n', encoding="utf-8")
    status, out, _ = _run(capsys, "prices", "--check", str(path))
    assert status == 0 and out.strip() == f"{path}: ok"


def test_check_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"version": 1, "providers": {"openai": {"models": {"gpt-4o": {"input": -2, "colour": "blue"}}}}}),
        encoding="utf-8",
    )
    status, out, err = _run(capsys, "prices", "--check", str(path))
    assert status == 1 and out == ""
    assert f"{path}: 2 problems" in err
    assert "gpt-4o.input: must not be negative" in err and "unknown field 'colour'" in err


def test_check_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "prices", "--check", str(tmp_path / "nope.json"))
    assert status == 1 and "cannot read the file" in err


def test_as_a_process() -> None:
    env = {k: v for k, v in os.environ.items() if k != PRICES_FILE_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "genai_otel.cli", "prices", "gpt-4o-mini-2024-07-18"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gpt-4o-mini (openai;")
    done = subprocess.run(
        [sys.executable, "-m", "genai_otel.cli", "prices", "no-such-model"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 1 and "no price" in done.stderr
