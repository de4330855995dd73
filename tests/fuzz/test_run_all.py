"""fuzz.run_all's reading of libFuzzer's output, its plan and its run log, on canned output (a
campaign itself needs atheris and minutes per target: not CI)."""
from __future__ import annotations

import pytest

from fuzz import TARGETS
from fuzz.run_all import Result, parse_plan, record, row

FINISHED = b"""INFO: Seed: 722059989
#70\tINITED cov: 110 ft: 199 corp: 61/1287b exec/s: 0 rss: 50Mb
#4096\tpulse  cov: 112 ft: 205 corp: 63/1301b lim: 192 exec/s: 2048 rss: 50Mb
#60000\tDONE   cov: 118 ft: 230 corp: 70/1400b lim: 192 exec/s: 2000 rss: 51Mb
Done 60000 runs in 30 second(s)
stat::number_of_executed_units: 60000
stat::average_exec_per_sec:     2000
stat::new_units_added:          9
"""
CRASHED = b"""#70\tINITED cov: 110 ft: 199 corp: 61/1287b exec/s: 0 rss: 50Mb
#1000\tNEW    cov: 121 ft: 240 corp: 71/1500b lim: 192 exec/s: 500 rss: 51Mb
=== Uncaught Python exception: ===
ValueError: boom
stat::number_of_executed_units: 1000
stat::average_exec_per_sec:     500
"""


def test_runs_add_up_and_the_rate_leaves_out_start_up():
    result = Result("sia", seconds=40.0)
    assert result.add_run(CRASHED) and result.add_run(FINISHED)
    assert result.executions == 61_000
    assert result.rate == pytest.approx(61_000 / 32)  # 2 s + 30 s of fuzzing, not 40 s of wall time
    assert (result.coverage, result.features, result.corpus) == (118, 230, 70)


def test_a_run_that_never_fuzzed_is_told_apart():
    assert not Result("sia").add_run(b"Traceback (most recent call last):\nImportError: no atheris\n")


def test_plan_gives_each_target_its_own_time_or_the_default():
    assert parse_plan("sia, onvif=600", 300) == {"sia": 300.0, "onvif": 600.0}
    assert parse_plan("", 60) == dict.fromkeys(TARGETS, 60)
    with pytest.raises(ValueError):
        parse_plan("sia=soon", 300)


def test_the_run_log_keeps_totals_across_runs(tmp_path):
    (tmp_path / "sia").mkdir()
    first, second = Result("sia", 300.0, 1_000_000, 290.0, crashes=1), Result("sia", 60.0, 200_000, 55.0)
    record(first, tmp_path)
    runs = record(second, tmp_path)
    assert [r["executions"] for r in runs] == [1_000_000, 200_000]
    assert row(second, runs).split()[-2:] == ["1,200,000", "1"]
