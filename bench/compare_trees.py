"""The pipeline benchmark on two source trees, alternately, to tell a change in throughput from noise.

Each run is a fresh process started in the tree's directory with ``PYTHONPATH`` set to it (same
interpreter, so the same grpcio and protobuf), running that tree's own ``bench.bench_pipeline``
throughput part: batched stream, durability normal, 4 gRPC subscribers in a second process. Pairs
alternate which tree goes first, so a machine that slows down or speeds up during the comparison
hits both alike. Prints each pair, the median of each tree, its spread (min-max), and the median of
the per-pair ratios new/old.

A tree needs its generated proto code (``python scripts/gen_proto.py`` inside it). To compare with
an older commit, check it out beside this one:

    git worktree add ../old-88638e6 88638e6 && (cd ../old-88638e6 && python scripts/gen_proto.py)
    python -m bench.compare_trees --old ../old-88638e6 --new . --pairs 7 --events 300000

About 10 s per run at 300,000 events on a quiet 2-core machine (the default: 7 pairs, ~2.5 min).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

from bench.results import headline, print_result

#: Runs inside a tree: its bench's throughput() under its own runner (hub.cli.runtime now,
#: hub.runtime in the flat layout before issue 12), with the interpreter settings `campus-hub run`
#: makes in both (the flat layout's bench did not make them: a 1 ms switch interval alone costs
#: ~3.5% of throughput, which would be charged to the newer tree).
_DRIVER = """\
import importlib, json, sys
from bench import bench_pipeline as bench
def first(*names):
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            pass
run = first("hub.cli.runtime", "hub.runtime").run
interpreter = first("hub.cli.interpreter", "hub.interpreter")
start_hub = bench.start_hub
async def start_tuned_hub(*args, **kwargs):
    interpreter.tune_for_hub()
    hub = await start_hub(*args, **kwargs)
    interpreter.freeze_startup_objects()
    return hub
bench.start_hub = start_tuned_hub
result = {}
async def main():
    bench.logs.configure("warning")
    result.update(await bench.throughput(int(sys.argv[1]), 0, "normal"))
status = run(main)
print("COMPARE-RESULT " + json.dumps(result))
sys.exit(status)
"""


def run_once(tree: pathlib.Path, events: int) -> float:
    """Events/s delivered to all 4 subscribers in one run of ``tree``'s pipeline benchmark."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", _DRIVER, str(events)], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("COMPARE-RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"the benchmark in {tree} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1].split(" ", 1)[1])
    if any(count != events for count in result["received"]):
        raise RuntimeError(f"{tree}: a subscriber received {result['received']} of {events} events")
    return result["delivered_per_s"]


def spread(values: list[float]) -> str:
    middle = statistics.median(values)
    return (f"median {middle:>9,.0f}/s  min {min(values):>9,.0f}  max {max(values):>9,.0f}  "
            f"(spread {100 * (max(values) - min(values)) / middle:.0f}% of the median)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=pathlib.Path, required=True, help="the tree measured as 'before'")
    parser.add_argument("--new", type=pathlib.Path, default=pathlib.Path.cwd(), help="the tree measured as 'after'")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--events", type=int, default=300_000)
    args = parser.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    for name, tree in trees.items():
        if not (tree / "bench" / "bench_pipeline.py").exists() or not (tree / "campushub").is_dir():
            parser.error(f"--{name} {tree}: no bench/bench_pipeline.py or no generated campushub/ "
                         "(run scripts/gen_proto.py in it)")
    print(f"pipeline benchmark, {args.events:,} events, 4 subscribers, {args.pairs} alternating pairs on "
          f"{os.cpu_count()} cores\n  old = {trees['old']}\n  new = {trees['new']}", flush=True)
    figures: dict[str, list[float]] = {"old": [], "new": []}
    ratios = []
    for pair in range(1, args.pairs + 1):
        order = ("old", "new") if pair % 2 else ("new", "old")
        this = {name: run_once(trees[name], args.events) for name in order}
        for name, value in this.items():
            figures[name].append(value)
        ratios.append(this["new"] / this["old"])
        print(f"pair {pair} ({order[0]} first): old {this['old']:>9,.0f}/s  new {this['new']:>9,.0f}/s  "
              f"new/old {ratios[-1]:.3f}", flush=True)
    for name in ("old", "new"):
        print(f"{name}: {spread(figures[name])}")
    print(f"new/old per pair: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}")
    headline("new/old delivered events/s (median of pairs)", statistics.median(ratios), "x")
    headline("old delivered to 4 subscribers (median)", statistics.median(figures["old"]), "events/s")
    headline("new delivered to 4 subscribers (median)", statistics.median(figures["new"]), "events/s")
    print_result("compare_trees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
