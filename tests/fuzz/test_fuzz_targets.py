"""Every fuzz target runs clean over its committed seeds and a few hundred random mutations of
them, without atheris (the campaign itself is ``python -m fuzz.run_all``, not CI).

Each target runs in its own interpreter (``python -m fuzz.smoke``): several own an event loop and
loopback sockets for their whole life, as in a fuzzing run, which cannot share pytest's reactor.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import TARGETS

ROOT = Path(__file__).resolve().parents[2]
MUTATIONS = 300  # per target: a few thousand in all


def test_every_target_module_is_listed():
    assert sorted(p.stem.removeprefix("fuzz_") for p in (ROOT / "fuzz").glob("fuzz_*.py")) == sorted(TARGETS)


@pytest.mark.parametrize("name", TARGETS)
def test_target_runs_clean_on_its_seeds_and_mutations(name):
    run = subprocess.run([sys.executable, "-m", "fuzz.smoke", name, "--mutations", str(MUTATIONS)],
                         cwd=ROOT, capture_output=True, text=True, timeout=110, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    assert f"{name}: " in run.stdout and "ran clean" in run.stdout


def test_the_fuzzing_guide_lists_every_target():
    guide = (ROOT / "docs" / "fuzzing.md").read_text(encoding="utf-8")
    listed = [line.split("`")[1] for line in guide.splitlines() if line.startswith("| `")]
    assert listed == list(TARGETS)


_LINK_OUTCOMES = """
import fuzz.fuzz_modbus_link as target
seeds = target.seeds()
for name in sorted(seeds):
    target.TestOneInput(seeds[name])
for name in ("pairing-zones", "pairing-late-answer"):  # a late answer needs an earlier one on the connection
    target.TestOneInput(seeds[name])
for (metric, labels), count in sorted(target._CTX.metrics.counters.items()):
    print(metric, dict(labels).get("result", dict(labels).get("type", "")), count, sep="|")
"""


def test_the_modbus_link_target_reaches_each_of_the_links_answers():
    """The in-memory connection still gets every kind of answer to Link._read: taken, refused with
    an exception code, short, unanswered (a timeout on the virtual clock), a frame pymodbus cannot
    decode (the connection is dropped, as an asyncio socket transport does) and a late answer the
    pairing framer drops."""
    run = subprocess.run([sys.executable, "-c", _LINK_OUTCOMES], cwd=ROOT, capture_output=True, text=True,
                         timeout=110, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    seen = {tuple(line.split("|")[:2]) for line in run.stdout.splitlines()}
    assert {("requests", "ok"), ("requests", "exception"), ("requests", "short_response"), ("requests", "timeout"),
            ("disconnects", ""), ("late_responses", ""), ("events", "fire.alarm")} <= seen, run.stdout
