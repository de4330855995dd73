"""Benchmark: one hub-side ONVIF adapter watching N simulated cameras.

The cameras run in a child process (this script with ``--serve``) so the figures are the hub's
own. Once every camera has a pull point, the child toggles motion on random cameras at ``--rate``
events/s for ``--duration`` s. Printed: hub CPU share (of one core), threads, camera-event to
adapter-emit delay percentiles, and event counts.

    .venv/bin/python bench/bench_onvif.py --cameras 500 --duration 30 --rate 50

The delay measured ends at the adapter's ``emit`` (the kernel's journal and gRPC fan-out are
measured by bench/bench_pipeline.py on main); camera and hub share this host's clock.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hub import reactor as hub_reactor  # noqa: E402  (the reactor goes in before anything else)

hub_reactor.install()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the camera side (child process) --------------------------------------------------------------
async def serve(args: argparse.Namespace) -> int:
    from twisted.internet import task

    from simulators.camera.simulator import CameraSimulator, numbered_cameras

    sim = await CameraSimulator.start(numbered_cameras(args.cameras, auth_window=300.0))
    for running in sim.cameras:
        print(f"CAMERA {running.name} {running.http_port}", flush=True)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "go"
    state: dict[str, bool] = {}

    def fire() -> None:
        running = random.choice(sim.cameras)
        state[running.name] = not state.get(running.name, False)
        running.camera.trigger("motion", state[running.name])

    ticker = task.LoopingCall(fire)
    ticker.start(1.0 / args.rate, now=False)
    await asyncio.sleep(args.duration)
    ticker.stop()
    print("DONE", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    await sim.stop()
    return 0


# --- the hub side ---------------------------------------------------------------------------------
def _child_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def watch(args: argparse.Namespace) -> int:
    from adapters.onvif.adapter import OnvifAdapter
    from adapters.onvif.options import CameraOptions, OnvifOptions
    from adapters.onvif.soap import parse_datetime
    from hub.events import Site, timestamp_seconds
    from hub.spi import DeviceSpec
    from hub.testing import RecordingContext

    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", "--cameras", str(args.cameras),
                              "--rate", str(args.rate), "--duration", str(args.duration)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    loop = asyncio.get_running_loop()
    ports: dict[str, int] = {}
    while (line := await loop.run_in_executor(None, child.stdout.readline)) and line.strip() != "READY":
        if match := re.match(r"CAMERA (\S+) (\d+)", line):
            ports[match[1]] = int(match[2])
    specs = [DeviceSpec(id=name, kind="camera", adapter="onvif-bench", site=Site(region_code="140802", school_id="s"),
                        options=CameraOptions(host="127.0.0.1", port=port, password="admin"))
             for name, port in ports.items()]
    ctx = RecordingContext("onvif-bench", specs)
    ctx._pool._max_workers = args.pool  # the hub's bounded pool size for blocking zeep calls
    options = OnvifOptions(pull_timeout=args.pull_timeout, subscription_lifetime=120, renew_before=30,
                           request_timeout=30, retry_max=5)
    adapter_task = asyncio.ensure_future(OnvifAdapter(ctx, options).run())
    started = time.monotonic()
    while ctx.metrics.total("subscriptions_created") < len(specs):
        if time.monotonic() - started > args.startup_timeout:
            raise SystemExit(f"only {ctx.metrics.total('subscriptions_created'):.0f} cameras subscribed in time")
        await asyncio.sleep(0.2)
    startup = time.monotonic() - started
    max_threads = threading.active_count()
    cpu0, wall0, child_cpu0 = time.process_time(), time.monotonic(), _child_cpu(child.pid)
    first_event = len(ctx.events)
    child.stdin.write("go\n")
    child.stdin.flush()
    while (line := await loop.run_in_executor(None, child.stdout.readline)) and line.strip() != "DONE":
        pass
    await asyncio.sleep(args.pull_timeout / 2 + 0.5)  # let the last pulls come home
    cpu, wall, child_cpu = time.process_time() - cpu0, time.monotonic() - wall0, _child_cpu(child.pid) - child_cpu0
    max_threads = max(max_threads, threading.active_count())
    events = [e for e in ctx.events[first_event:] if e.type == "video.motion"]
    delays = [timestamp_seconds(e.received_at) - parse_datetime(e.attributes["camera_time"]) for e in events]
    adapter_task.cancel()
    await asyncio.gather(adapter_task, return_exceptions=True)
    child.stdin.write("stop\n")
    child.stdin.flush()
    await loop.run_in_executor(None, child.wait)
    ctx.close()
    offline = [d for d, r in ctx.records.items() if r.state != "online"]
    print(f"cameras                 {len(specs)} (startup to all subscribed: {startup:.1f} s)")
    print(f"hub CPU share           {100 * cpu / wall:.1f} % of one core over {wall:.1f} s "
          f"(simulator process: {100 * child_cpu / wall:.1f} %)")
    print(f"hub threads             {max_threads} (blocking pool bounded at {args.pool})")
    print(f"motion events emitted   {len(events)} (triggered at {args.rate}/s for {args.duration} s)")
    print(f"camera event -> emit    p50 {1000 * _percentile(delays, 0.5):.1f} ms  p99 {1000 * _percentile(delays, 0.99):.1f} ms  "
          f"max {1000 * max(delays, default=float('nan')):.1f} ms")
    print(f"not online at the end   {len(offline)} {offline[:5]}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=50.0, help="motion toggles per second over all cameras")
    parser.add_argument("--pull-timeout", type=float, default=5.0)
    parser.add_argument("--pool", type=int, default=8, help="threads for blocking onvif-zeep calls")
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from simulators.camera.cli import run_on_reactor

    return run_on_reactor(lambda: serve(args) if args.serve else watch(args))


if __name__ == "__main__":
    raise SystemExit(main())
