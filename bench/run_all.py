"""Run every benchmark in bench/, one after another, each in a process of its own, and print one
summary table of their headline figures against their targets (`make bench`).

Each benchmark's own output is passed through as it runs; its last line is its result
(bench.results), which this collects.

Usage: python -m bench.run_all [--quick] [--only NAME ...]

``--quick``: tiny sizes, a few seconds to a minute each: it checks that every benchmark still runs
and reports, not how fast the hub is (those figures mean nothing).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench.results import parse, summary_table

#: name: (module, arguments of a full run, arguments of a quick run). `make bench` runs them all.
BENCHMARKS = {
    "pipeline": ("bench.bench_pipeline", [], ["--quick", "--events", "5000", "--repeat", "1",
                                              "--latency-seconds", "1"]),
    "sia": ("bench.bench_sia", [], ["--quick", "--frames", "300", "--seconds", "1", "--durability", "normal",
                                    "--latency-connections", "5", "--rate", "100"]),
    "modbus": ("bench.bench_modbus", [], ["--panels", "10", "--units-per-port", "5", "--seconds", "2",
                                          "--warmup", "1", "--change-rate", "5"]),
    "onvif": ("bench.bench_onvif", ["--hub"], ["--hub", "--cameras", "4", "--duration", "2", "--rate", "4"]),
    "snmp traps": ("bench.bench_snmp", ["traps"], ["traps", "--count", "300", "--count-v3", "50",
                                                   "--paced-seconds", "1", "--rate", "50", "--senders", "1"]),
    "snmp poll": ("bench.bench_snmp", ["poll"], ["poll", "--switches", "5", "--interval", "2", "--duration", "4",
                                                 "--terminal-interval", "2", "--sim-processes", "1", "--rate", "5"]),
    "linkage": ("bench.bench_linkage", [], ["--cameras", "10", "--alarms", "10", "--events", "1000", "--repeat", "1",
                                            "--eval-seconds", "0.5"]),
    "alarms": ("bench.bench_alarms", [], ["--quick"]),
    "campus": ("bench.bench_campus", [], ["--schools", "1", "--rate", "20", "--seconds", "3", "--warmup", "1",
                                          "--attach-timeout", "60"]),
    "console": ("bench.bench_console", [], ["--quick"]),
    "reports": ("bench.bench_reports", [], ["--quick"]),
    "memory": ("bench.bench_memory", [], ["--schools", "1", "--settle", "1", "--no-all", "--attach-timeout", "60"]),
    "federation": ("bench.bench_federation", [], ["--quick"]),
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_one(module: str, arguments: list[str], timeout: float) -> tuple[dict | None, str]:
    """Run one benchmark, echoing its output; (its result, "" or why it failed)."""
    command = [sys.executable, "-m", module, *arguments]
    print(f"\n=== {' '.join(command[1:])}", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    started = time.monotonic()
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            output.append(line)
            if time.monotonic() - started > timeout:
                raise subprocess.TimeoutExpired(command, timeout)
        process.wait(max(1.0, timeout - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return parse("".join(output)), f"killed after {timeout:.0f} s"
    result = parse("".join(output))
    return result, "" if process.returncode == 0 else f"exit status {process.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: does every benchmark still run?")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)}; repeatable)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one benchmark may take (default 180 quick, 3600 full)")
    args = parser.parse_args(argv)
    timeout = args.timeout or (180.0 if args.quick else 3600.0)
    collected = []
    for name, (module, full, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        result, failure = run_one(module, quick if args.quick else full, timeout)
        collected.append((name, result, failure))
    print("\nsummary" + (" (--quick: sizes too small for the figures to mean anything)" if args.quick else ""))
    print(summary_table(collected))
    return 1 if any(failure or result is None for _, result, failure in collected) else 0


if __name__ == "__main__":
    sys.exit(main())
