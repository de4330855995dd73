"""Where the hub's memory goes (issue 20): resident memory per protocol family and per live device.

The county scenario (config/scenarios/county.yaml) is simulated in this process one family at a
time; for each, a fresh hub process (``campus-hub run -c``) is started on the matching config,
waited for until it has reached every device, left to settle, and its resident memory read. The
first run has no devices at all: the empty hub every figure is measured against. A last run has
every family, to see that the parts add up.

With ``--heap`` the hub runs under tracemalloc (bench/traced_hub.py) and each run also prints the
Python heap grouped by the package that allocated it and by our module it did so for (tracemalloc
makes the hub bigger and slower: read RSS from a run without it).

Usage: python -m bench.bench_memory [--schools 100] [--families onvif snmp] [--settle 10] [--heap]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import signal
import socket
import sys
import tempfile
import time

from hub import reactor

reactor.install()

from hub.cli import logs  # noqa: E402
from bench.bench_campus import county_plan, memory_mib  # noqa: E402
from bench.results import headline, print_result  # noqa: E402
from simulators.campus.campus import FAMILIES, SimulatedCampus  # noqa: E402
from simulators.campus.hubconfig import HubOptions, write_hub_config  # noqa: E402
from simulators.campus.timeline import free_port  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


async def measure(plan, families: tuple[str, ...], args, workdir: pathlib.Path) -> dict:
    """Start the hub on ``families`` of ``plan``; its RSS (and heap report) once it reached them."""
    run_dir = workdir / ("-".join(families) or "empty")
    run_dir.mkdir()
    campus = await SimulatedCampus.start(plan, sia_port=free_port(socket.SOCK_STREAM),
                                         trap_port=free_port(socket.SOCK_DGRAM), say=lambda line: None,
                                         families=families)
    grpc_port = free_port()
    write_hub_config(campus, run_dir / "hub.yaml", HubOptions(f"127.0.0.1:{grpc_port}", None, "./journal.db"))
    module = "bench.traced_hub" if args.heap else "hub.cli"
    report = run_dir / "heap.json"
    hub = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, "run", "-c", str(run_dir / "hub.yaml"), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CAMPUS_HUB_HEAP_REPORT": str(report)},
        stderr=open(run_dir / "hub.err", "wb"))
    try:
        started = time.monotonic()
        await _listening(grpc_port, args.attach_timeout)  # started (an empty hub has nothing else to reach)
        reached = await campus.wait_for_hub(args.attach_timeout, interval=1.0)
        attach = time.monotonic() - started
        await asyncio.sleep(args.settle)
        rss, peak = memory_mib(hub.pid)
        heap = None
        if args.heap:
            hub.send_signal(signal.SIGUSR1)
            for _ in range(600):
                if report.exists():
                    heap = json.loads(report.read_text())
                    break
                await asyncio.sleep(0.5)
        return {"families": families, "devices": len(campus.devices()), "reached": reached, "attach": attach,
                "rss": rss, "peak": peak, "heap": heap}
    finally:
        if hub.returncode is None:
            hub.send_signal(signal.SIGTERM)
            await hub.wait()
        await campus.stop()


async def _listening(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.5)


def print_heap(run: dict, empty: dict | None) -> None:
    heap, base = run["heap"], (empty or {}).get("heap") or {}
    if not heap:
        return
    for grouping, title in (("by_owner", "for our module"), ("by_package", "allocated in"),
                            ("by_line", "for our line")):
        before = base.get(grouping, {})
        rows = sorted(heap[grouping].items(), key=lambda kv: -(kv[1] - before.get(kv[0], 0)))[:8]
        print(f"      Python heap {title} (KiB above the empty hub): "
              + ", ".join(f"{name} {(size - before.get(name, 0)) / 1024:.0f}" for name, size in rows
                          if size - before.get(name, 0) > 64 * 1024), flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100, help="schools of the county scenario (52 devices each)")
    parser.add_argument("--families", nargs="*", choices=FAMILIES, default=list(FAMILIES),
                        help="families measured one at a time (default: all four)")
    parser.add_argument("--no-all", action="store_true", help="skip the run with every family together")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after reaching every device")
    parser.add_argument("--attach-timeout", type=float, default=300.0)
    parser.add_argument("--heap", action="store_true", help="also group the Python heap by package (tracemalloc)")
    args = parser.parse_args()
    logs.configure("warning")
    plan = county_plan(args.schools)
    counts = plan.count_by_family()
    print(f"county: {len(plan.schools)} schools, {len(plan.devices)} devices "
          f"({', '.join(f'{n} {f}' for f, n in counts.items())}); hub RSS once it reached every device "
          f"and {args.settle:g} s later{' (under tracemalloc)' if args.heap else ''}", flush=True)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-memory-"))
    runs = [()] + [(family,) for family in args.families]
    if not args.no_all and len(args.families) > 1:
        runs.append(tuple(args.families))
    empty = None
    parts = 0.0
    for families in runs:
        run = await measure(plan, families, args, workdir)
        name = "+".join(families) or "empty hub"
        if empty is None:
            empty = run
            print(f"   {name:24s} RSS {run['rss']:6.0f} MiB (peak {run['peak']:.0f})", flush=True)
            headline("empty hub RSS", run["rss"], "MiB")
            continue
        above = run["rss"] - empty["rss"]
        per_device = 1024 * above / max(1, run["devices"])
        if len(families) == 1:
            parts += above
        print(f"   {name:24s} RSS {run['rss']:6.0f} MiB (peak {run['peak']:.0f}): {above:+6.0f} MiB for "
              f"{run['devices']} devices = {per_device:5.1f} KiB per device; reached "
              f"{'all' if run['reached'] else 'NOT all'} in {run['attach']:.0f} s", flush=True)
        if len(families) == 1:
            headline(f"{families[0]} KiB per live device", per_device, "KiB")
        else:
            print(f"   (the families one at a time add up to {parts:+.0f} MiB)", flush=True)
            headline(f"hub RSS, {len(plan.schools)} schools", run["rss"], "MiB",
                     at_most=300 if len(plan.schools) >= 100 else None)
        print_heap(run, empty)
    print_result("memory")
    return 0


if __name__ == "__main__":
    from hub.cli import runtime

    sys.exit(runtime.run(main))
