"""bench.run_all's collection and summary table, on a stand-in benchmark and canned results (the
real benchmarks take minutes even with --quick, and are never run by the suite)."""
from __future__ import annotations

import math

from bench import results, run_all

CANNED = [
    ("pipeline", {"bench": "pipeline", "figures": [
        {"name": "delivered to 4 subscribers", "value": 99_123.4, "unit": "events/s", "at_least": 50_000, "at_most": None},
        {"name": "hub RSS", "value": 312.0, "unit": "MB", "at_least": None, "at_most": 300},
        {"name": "emit -> client p99", "value": 4.567, "unit": "ms", "at_least": None, "at_most": None},
    ]}, ""),
    ("onvif", {"bench": "onvif", "figures": [
        {"name": "camera event -> subscriber p99", "value": math.nan, "unit": "ms", "at_least": None, "at_most": 50},
    ]}, ""),
    ("snmp poll", None, "exit status 1"),
]


def test_the_summary_table_shows_each_figure_against_its_target():
    table = results.summary_table(CANNED).splitlines()
    assert table[0].split() == ["benchmark", "figure", "value", "unit", "target"]
    assert set(table[1]) <= {"-", " "}
    rows = table[2:]
    assert len(rows) == 5
    assert rows[0].startswith("pipeline") and "99,123" in rows[0] and ">= 50,000" in rows[0] and rows[0].endswith("met")
    assert "312" in rows[1] and "<= 300" in rows[1] and rows[1].endswith("MISSED")
    assert "4.57" in rows[2] and not rows[2].endswith(("met", "MISSED"))  # no target: no verdict
    assert rows[3].startswith("onvif") and rows[3].endswith("MISSED")  # no value is no target met
    assert rows[4].startswith("snmp poll") and "exit status 1" in rows[4] and rows[4].endswith("FAILED")
    # Columns line up: every value ends where the header's "value" does.
    end = table[0].index("value") + len("value")
    assert all(row[:end].rstrip().endswith(("123", "312", "4.57", "-")) for row in rows[:4])


def test_a_result_line_round_trips_and_the_last_one_counts(capsys):
    results.headline("throughput", 10.0, "x", at_least=2)
    results.print_result("first")
    results.headline("throughput", 1.0, "x", at_least=2)
    results.print_result("second")
    output = "some human output\n" + capsys.readouterr().out
    parsed = results.parse(output)
    assert parsed["bench"] == "second" and results.verdict(parsed["figures"][0]) == "MISSED"
    assert results.parse("no result here\n") is None


def test_run_all_collects_a_benchmarks_result_and_how_it_ended(capsys):
    result, failure = run_all.run_one("tests.bench.reporting_benchmark", ["0"], timeout=60)
    assert failure == "" and result["bench"] == "stand-in"
    assert [results.verdict(item) for item in result["figures"]] == ["met", "MISSED"]
    assert "measuring the nothing benchmark" in capsys.readouterr().out  # its own output is kept
    result, failure = run_all.run_one("tests.bench.reporting_benchmark", ["3"], timeout=60)
    assert failure == "exit status 3" and result is not None
