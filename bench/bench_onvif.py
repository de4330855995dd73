"""Benchmark: one hub watching N simulated ONVIF cameras (PullPoint loops and health).

The cameras run in a child process (this script with ``--serve``) so the CPU figures are the
hub's own. Once every camera has a pull point, the child toggles motion on random cameras at
``--rate`` events/s for ``--duration`` s. Printed: hub CPU share (of one core), threads, delay
percentiles from the camera's event time, and event counts.

    .venv/bin/python bench/bench_onvif.py --cameras 500 --duration 30 --rate 50          # to emit
    .venv/bin/python bench/bench_onvif.py --cameras 500 --duration 30 --rate 50 --hub    # to gRPC

Without ``--hub`` the adapter runs on the in-memory SPI (hub.spi.testing) and the delay ends at
``emit``. With ``--hub`` a real hub (journal, pipeline, gRPC) runs the adapter and a gRPC
subscriber in the camera process measures camera event -> subscriber receipt. Cameras and hub
share this host's clock; event times carry milliseconds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hub import reactor as hub_reactor  # noqa: E402  (the reactor goes in before anything else)

hub_reactor.install()

from bench.proc import cpu_seconds  # noqa: E402
from bench.results import headline, print_result  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the camera side (child process) --------------------------------------------------------------
async def _subscriber(target: str, token: str, delays: list[float]) -> None:
    from adapters.onvif.soap import parse_datetime
    from hub.api.grpc.client import HubClient

    async with HubClient(target, token) as client:
        async for response in client.subscribe(from_earliest=False, max_batch_size=500, max_batch_delay_ms=5,
                                               heartbeat_interval_ms=1000):
            now = time.time()
            for event in response.batch.events:
                if event.type == "video.motion":
                    sent = parse_datetime(event.attributes["camera_time"])
                    delays.append((sent, now - sent))


async def serve(args: argparse.Namespace) -> int:
    from twisted.internet import task

    from simulators.camera.simulator import CameraSimulator, numbered_cameras

    loop = asyncio.get_running_loop()
    sim = await CameraSimulator.start(numbered_cameras(args.cameras, auth_window=300.0))
    for running in sim.cameras:
        print(f"CAMERA {running.name} {running.http_port}", flush=True)
    print("READY", flush=True)
    while not all(running.camera.subscriptions for running in sim.cameras):
        await asyncio.sleep(0.2)
    print("SUBSCRIBED", flush=True)
    command = (await loop.run_in_executor(None, sys.stdin.readline)).split()  # go [target token]
    delays: list[tuple[float, float]] = []
    listener = asyncio.ensure_future(_subscriber(command[1], command[2], delays)) if len(command) == 3 else None
    state: dict[str, bool] = {}

    def fire() -> None:
        running = random.choice(sim.cameras)
        state[running.name] = not state.get(running.name, False)
        running.camera.trigger("motion", state[running.name])

    ticker = task.LoopingCall(fire)
    ticker.start(1.0 / args.rate, now=False)
    await asyncio.sleep(args.duration)
    ticker.stop()
    await asyncio.sleep(args.pull_timeout / 2 + 1.0)  # let the last pulls come home
    if listener is not None:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        print(f"DELAYS {json.dumps(delays)}", flush=True)
    print("DONE", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    await sim.stop()
    return 0


# --- the hub side ---------------------------------------------------------------------------------
def _hub_cpu(hub) -> float:
    """This process's CPU seconds, and its journal store's when a real hub runs here."""
    real = getattr(hub, "hub", None)
    return time.process_time() + (cpu_seconds(real.journal.store_pid) if real is not None else 0.0)


class _InMemoryHub:
    """The adapter on hub.spi.testing's in-memory SPI; delays end at emit."""

    def __init__(self, specs, options, pool: int) -> None:
        from adapters.onvif.adapter import OnvifAdapter
        from hub.spi.testing import RecordingContext

        self.ctx = RecordingContext("onvif-bench", specs)
        self.ctx._pool._max_workers = pool  # the hub's bounded pool size for blocking zeep calls
        self.task = asyncio.ensure_future(OnvifAdapter(self.ctx, options).run())
        self.first_event = 0
        self.go_command = "go"

    def mark(self) -> None:
        self.first_event = len(self.ctx.events)

    def delays(self, _child_lines: list[str]) -> list[tuple[float, float]]:
        from adapters.onvif.soap import parse_datetime
        from hub.events import timestamp_seconds

        sent = [(parse_datetime(e.attributes["camera_time"]), timestamp_seconds(e.received_at))
                for e in self.ctx.events[self.first_event:] if e.type == "video.motion"]
        return [(at, received - at) for at, received in sent]

    def not_online(self) -> list[str]:
        return [d for d, r in self.ctx.records.items() if r.state != "online"]

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.ctx.close()


class _RealHub:
    """hub.app.Hub with the adapter, journal, pipeline and gRPC; the child subscribes over gRPC."""

    def __init__(self, specs, options, pool: int) -> None:
        from adapters.onvif.adapter import OnvifAdapter
        from hub.kernel import AdapterInstance, Hub, HubSettings
        from hub.cli import interpreter
        from hub.access import Subscriber
        from hub.access import new_token
        from hub.access import Scope

        self.tmp = tempfile.TemporaryDirectory(prefix="bench-onvif-")
        token, sha = new_token()
        self.hub = Hub(HubSettings(
            journal_path=f"{self.tmp.name}/journal.db", devices=specs, grpc_address="127.0.0.1:0",
            adapters=[AdapterInstance("onvif-bench", OnvifAdapter, options)], metrics_address=None,
            subscribers=[Subscriber("bench", sha, Scope(all_regions=True))], dedupe_window=0,
            blocking_threads=pool))
        self.token = token

    async def start(self) -> None:
        interpreter.tune_for_hub()  # as campus-hub run does
        await self.hub.start()
        interpreter.freeze_startup_objects()
        self.go_command = f"go 127.0.0.1:{self.hub.grpc_port} {self.token}"

    def mark(self) -> None:
        pass

    def delays(self, child_lines: list[str]) -> list[tuple[float, float]]:
        line = next((line for line in child_lines if line.startswith("DELAYS ")), "DELAYS []")
        return json.loads(line[len("DELAYS "):])

    def not_online(self) -> list[str]:
        from hub.events import DeviceState

        return [e.spec.id for e in (self.hub.registry.get(d.id) for d in self.hub.settings.devices)
                if e is not None and e.state != DeviceState.DEVICE_STATE_ONLINE]

    async def stop(self) -> None:
        await self.hub.stop()
        self.tmp.cleanup()


async def watch(args: argparse.Namespace) -> int:
    from adapters.onvif.options import CameraOptions, OnvifOptions
    from hub.events import Site
    from hub.spi import DeviceSpec

    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", "--cameras", str(args.cameras),
                              "--rate", str(args.rate), "--duration", str(args.duration),
                              "--pull-timeout", str(args.pull_timeout)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    loop = asyncio.get_running_loop()

    async def child_line() -> str:
        return (await loop.run_in_executor(None, child.stdout.readline)).strip()

    ports: dict[str, int] = {}
    while (line := await child_line()) != "READY":
        if match := re.match(r"CAMERA (\S+) (\d+)", line):
            ports[match[1]] = int(match[2])
    specs = [DeviceSpec(id=name, kind="camera", adapter="onvif-bench", site=Site(region_code="140802", school_id="s"),
                        options=CameraOptions(host="127.0.0.1", port=port, password="admin"))
             for name, port in ports.items()]
    options = OnvifOptions(pull_timeout=args.pull_timeout, subscription_lifetime=120, renew_before=30,
                           request_timeout=30, retry_max=5)
    started = time.monotonic()
    if args.hub:
        hub = _RealHub(specs, options, args.pool)
        interpreter.tune_for_hub()  # as campus-hub run does
        await hub.start()
        interpreter.freeze_startup_objects()
    else:
        hub = _InMemoryHub(specs, options, args.pool)
    while (line := await child_line()) != "SUBSCRIBED":
        pass
    startup = time.monotonic() - started
    max_threads = threading.active_count()
    cpu0, wall0, child_cpu0 = _hub_cpu(hub), time.monotonic(), cpu_seconds(child.pid)
    hub.mark()
    child.stdin.write(hub.go_command + "\n")
    child.stdin.flush()
    lines = []
    while (line := await child_line()) != "DONE":
        lines.append(line)
    cpu, wall, child_cpu = _hub_cpu(hub) - cpu0, time.monotonic() - wall0, cpu_seconds(child.pid) - child_cpu0
    max_threads = max(max_threads, threading.active_count())
    samples, offline = hub.delays(lines), hub.not_online()
    delays = [delay for _, delay in samples]
    first = min((at for at, _ in samples), default=0.0)
    worst = sorted(samples, key=lambda sample: -sample[1])[:5]
    child.stdin.write("stop\n")
    child.stdin.flush()
    await loop.run_in_executor(None, child.wait)
    await hub.stop()
    end = "gRPC subscriber" if args.hub else "emit"
    print(f"cameras                 {len(specs)} (startup to all subscribed: {startup:.1f} s)")
    print(f"hub CPU share           {100 * cpu / wall:.1f} % of one core over {wall:.1f} s "
          f"(camera process{' incl. subscriber' if args.hub else ''}: {100 * child_cpu / wall:.1f} %)")
    print(f"hub threads             {max_threads} (blocking pool bounded at {args.pool})")
    print(f"motion events at {end:<6} {len(delays)} (triggered at {args.rate:g}/s for {args.duration:g} s)")
    print(f"camera event -> {end:<7} p50 {1000 * _percentile(delays, 0.5):.1f} ms  "
          f"p99 {1000 * _percentile(delays, 0.99):.1f} ms  max {1000 * max(delays, default=float('nan')):.1f} ms")
    print(f"worst (at s: delay ms)  {', '.join(f'{at - first:.1f}: {1000 * d:.0f}' for at, d in worst)}")
    print(f"not online at the end   {len(offline)} {offline[:5]}")
    headline(f"camera event -> {end} p99", 1000 * _percentile(delays, 0.99), "ms")
    headline(f"hub CPU, {len(specs)} cameras", 100 * cpu / wall, "% of a core")
    headline("cameras not online at the end", len(offline), "cameras", at_most=0)
    print_result("onvif")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=50.0, help="motion toggles per second over all cameras")
    parser.add_argument("--pull-timeout", type=float, default=5.0)
    parser.add_argument("--pool", type=int, default=8, help="threads for blocking onvif-zeep calls")
    parser.add_argument("--hub", action="store_true", help="run the real hub and measure to a gRPC subscriber")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from hub.cli.runtime import run

    return run(lambda: serve(args) if args.serve else watch(args))


if __name__ == "__main__":
    raise SystemExit(main())
