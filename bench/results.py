"""What a benchmark reports besides its human output: its headline figures, with their targets,
as one JSON line at the end (``BENCH-RESULT {...}``), which bench.run_all collects into one table.

A benchmark notes each figure as it prints it (:func:`headline`) and calls :func:`print_result` last.
"""
from __future__ import annotations

import json
import math

MARKER = "BENCH-RESULT "

_figures: list[dict] = []


def headline(name: str, value: float, unit: str, *, at_least: float | None = None,
           at_most: float | None = None) -> None:
    """Note a headline figure and, if it has one, its target (``at_least`` or ``at_most``)."""
    _figures.append({"name": name, "value": value, "unit": unit, "at_least": at_least, "at_most": at_most})


def print_result(bench: str) -> None:
    """Print the figures noted so far as the benchmark's machine-readable result line."""
    print(MARKER + json.dumps({"bench": bench, "figures": _figures}), flush=True)
    _figures.clear()


def parse(output: str) -> dict | None:
    """The result a benchmark printed (its last result line), or None if it printed none."""
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    return json.loads(lines[-1][len(MARKER):]) if lines else None


def verdict(item: dict) -> str:
    """"met", "MISSED" or "" (no target) for a figure."""
    value, low, high = item["value"], item.get("at_least"), item.get("at_most")
    if low is None and high is None:
        return ""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "MISSED"
    return "met" if (low is None or value >= low) and (high is None or value <= high) else "MISSED"


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def _target(item: dict) -> str:
    low, high = item.get("at_least"), item.get("at_most")
    if low is not None and high is not None:
        return f"{_number(low)} .. {_number(high)}"
    if low is not None:
        return f">= {_number(low)}"
    return f"<= {_number(high)}" if high is not None else ""


def summary_table(results: list[tuple[str, dict | None, str]]) -> str:
    """One table of every benchmark's figures against their targets. ``results``: (benchmark,
    its parsed result or None, how it ended: "" when it exited cleanly, else why not)."""
    rows = [("benchmark", "figure", "value", "unit", "target", "")]
    for bench, result, failure in results:
        if result is None or failure:
            rows.append((bench, failure or "printed no result", "", "", "", "FAILED"))
        for item in (result or {}).get("figures", []):
            rows.append((bench, item["name"], _number(item["value"]), item["unit"], _target(item), verdict(item)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    aligned = [(str.ljust, str.ljust, str.rjust, str.ljust, str.ljust, str.ljust)[i] for i in range(len(widths))]
    lines = ["  ".join(align(cell, width) for align, cell, width in zip(aligned, row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
