"""The wire contract: buf's STANDARD lint rules, and no breaking change against the baseline
kept in proto/baseline (moved on deliberately when the contract grows)."""
from __future__ import annotations

import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUF = ROOT / ".tools" / "node_modules" / ".bin" / "buf"


def buf(*args: str) -> subprocess.CompletedProcess:
    if not BUF.exists():
        pytest.fail(f"{BUF} is missing: run `make bootstrap` (it installs buf from npm)")
    return subprocess.run([str(BUF), *args], cwd=ROOT / "proto", capture_output=True, text=True, timeout=120)


def test_buf_lint_is_clean():
    result = buf("lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_breaking_change_against_the_baseline():
    result = buf("breaking", "--against", "baseline/campushub-v1.binpb")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_breaking_check_can_fail(tmp_path):
    """Removing a field from a copy of the contract is reported (the check is not vacuous)."""
    copy = tmp_path / "proto"
    subprocess.run(["cp", "-r", str(ROOT / "proto"), str(copy)], check=True)
    event = copy / "campushub" / "v1" / "event.proto"
    text = event.read_text()
    assert "repeat_count" in text
    event.write_text("\n".join(line for line in text.splitlines() if "repeat_count" not in line) + "\n")
    result = subprocess.run([str(BUF), "breaking", "--against", "baseline/campushub-v1.binpb"], cwd=copy,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "repeat_count" in result.stdout
