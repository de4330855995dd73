"""Campus benchmark (issue 7): the county scenario on one hub.

The simulated county (config/scenarios/county.yaml: 50 schools, 2,600 devices over Modbus, ONVIF,
SNMP and SIA DC-09) runs in this process; the hub runs as its own process (`campus-hub run -c`) so
that its CPU and memory are its own; a gRPC subscriber in this process receives every event.

Prints:
  1. how long the hub took to reach every device (poll each panel and switch, subscribe to each
     camera's events),
  2. events/s delivered to the subscriber, sustained over the measuring window, at the offered
     background rate (plus device-state events),
  3. hub CPU (share of one core) and resident memory (now and peak),
  4. p50/p99 device-to-subscriber delay per protocol family: from the moment the simulator makes a
     device do something (a camera sees motion, a panel is armed, a port goes down, a fire zone goes
     into test) to the moment the subscriber has the event. Modbus includes the poll interval.

Usage: python -m bench.bench_campus [--schools 50] [--rate 200] [--seconds 60] [--attach-timeout 600]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import pathlib
import signal
import socket
import statistics
import sys
import tempfile
import time

import yaml

from hub import reactor

reactor.install()

from hub.cli import logs  # noqa: E402
from hub.api.grpc.client import HubClient  # noqa: E402
from hub.events import state_name, timestamp_seconds  # noqa: E402
from bench.proc import cpu_seconds  # noqa: E402
from bench.results import headline, print_result  # noqa: E402
from simulators.campus.campus import FAMILIES, SimulatedCampus  # noqa: E402
from simulators.campus.hubconfig import HubOptions, write_hub_config  # noqa: E402
from simulators.campus.noise import Noise  # noqa: E402
from simulators.campus.scenario import SCENARIO_DIR, load_scenario_text  # noqa: E402
from simulators.campus.timeline import free_port, play_timeline  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def county_plan(schools: int):
    data = yaml.safe_load((SCENARIO_DIR / "county.yaml").read_text())
    data["generate"][0]["count"] = schools
    prefixes = {f"s{n:03d}-" for n in range(1, schools + 1)}
    data["timeline"] = [s for s in data["timeline"] if s["device"][:5] in prefixes]
    data.pop("history", None)  # (its devices are the whole county's; live ingestion is measured here)
    return load_scenario_text(yaml.safe_dump(data), f"county ({schools} schools)")


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def hub_cpu_seconds(pid: int) -> float:
    """The hub process's CPU seconds and its children's (the journal store)."""
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(cpu_seconds(process) for process in [pid, *children])


def memory_mib(pid: int) -> tuple[float, float]:
    status = dict(line.split(":", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


async def loop_lag(samples: list[float], interval: float = 0.05) -> None:
    """How late this process's event loop wakes up: if the simulators' loop lags, their timing
    (and so the measured delays) includes our own queueing, not only the hub's."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval
        await asyncio.sleep(interval)
        samples.append(loop.time() - due)


#: How far an event's occurred_at may read behind the action it reports (SIA frames carry whole seconds).
_CLOCK_SLACK = 1.0


class DelayMeter:
    """Pairs what the simulator did (observe) with the event the subscriber got (received).

    Only actions done inside the measuring window are counted, wherever their event lands: an
    action just before the window whose event arrives inside it is neither offered nor delivered
    (counting it as delivered once made "sia n=1767 of 1766"), and one inside the window whose
    event arrives after it still counts. What is neither delivered nor missed by the end is
    ``pending``: missed, or later than the drain after the window.
    """

    def __init__(self, campus: SimulatedCampus) -> None:
        self.family = {d.id: d.family for d in campus.plan.devices.values()}
        # per (device, type, state): when each action was done, and whether inside the window
        self.pending: dict[tuple[str, str, str], collections.deque[tuple[float, bool]]] = \
            collections.defaultdict(collections.deque)
        self.delays: dict[str, list[float]] = collections.defaultdict(list)
        self.offered: collections.Counter = collections.Counter()
        self.missed: collections.Counter = collections.Counter()
        self.to_hub: dict[str, list[float]] = collections.defaultdict(list)  # the part until the hub has it
        self.measuring = False

    def observe(self, device: str, type_: str, state: str, at: float) -> None:
        self.pending[(device, type_, state)].append((at, self.measuring))
        if self.measuring:
            self.offered[self.family[device]] += 1

    def received(self, event, at: float) -> None:
        times = self.pending.get((event.source_device_id, event.type, state_name(event.state)))
        if not times:
            return
        # The event reports the latest action done by the time it occurred (the simulators and
        # the hub share this host's clock; SIA stamps whole seconds). An older action still
        # waiting was one the hub never saw as an event (a pre-alarm that came and went between
        # two polls): missed. Newer ones wait for their own events: after a cut link the events
        # of several actions arrive together, each to be paired with its own action.
        occurred = timestamp_seconds(event.occurred_at) + _CLOCK_SLACK
        index = max((i for i, (sent, _) in enumerate(times) if sent <= occurred), default=len(times) - 1)
        sent, in_window = times[index]
        family = self.family.get(event.source_device_id, "?")
        if in_window:
            self.delays[family].append(at - sent)
            self.to_hub[family].append(timestamp_seconds(event.received_at) - sent)
        for _ in range(index):
            self.missed[family] += times.popleft()[1]
        times.popleft()  # the paired one

    def still_pending(self) -> collections.Counter:
        """Actions done inside the window whose event has not arrived (yet)."""
        waiting: collections.Counter = collections.Counter()
        for (device, _, _), times in self.pending.items():
            waiting[self.family.get(device, "?")] += sum(counted for _, counted in times)
        return waiting


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=50, help="schools of the county scenario (52 devices each)")
    parser.add_argument("--rate", type=float, default=200.0, help="offered background events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before measuring")
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds after the window for its last actions' events to arrive")
    parser.add_argument("--only", action="append", choices=FAMILIES,
                        help="simulate only these families (to see what each costs)")
    parser.add_argument("--attach-timeout", type=float, default=600.0, help="seconds to wait for the hub to reach all")
    args = parser.parse_args()
    logs.configure("warning")
    plan = county_plan(args.schools)
    counts = ", ".join(f"{n} {family}" for family, n in plan.count_by_family().items())
    print(f"county: {len(plan.schools)} schools, {len(plan.devices)} devices ({counts})"
          + (f"; simulating only {', '.join(args.only)}" if args.only else ""), flush=True)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-campus-"))
    campus = await SimulatedCampus.start(plan, sia_port=free_port(socket.SOCK_STREAM),
                                         trap_port=free_port(socket.SOCK_DGRAM), say=print,
                                         families=tuple(args.only or FAMILIES))
    meter = DelayMeter(campus)
    campus.observe = meter.observe
    grpc_target = f"127.0.0.1:{free_port()}"
    token = write_hub_config(campus, workdir / "hub.yaml", HubOptions(
        grpc_target, None, "./journal.db", dedupe_window=0, linkage=False))  # ingestion alone: bench_linkage measures linkage
    hub = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "run", "-c", str(workdir / "hub.yaml"), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=open(workdir / "hub.err", "wb"))
    tasks: list[asyncio.Task] = []
    try:
        started = time.monotonic()
        reached = await campus.wait_for_hub(args.attach_timeout, interval=1.0)
        attach = time.monotonic() - started
        print(f"1. hub reached {'every' if reached else 'NOT every'} device in {attach:.1f} s "
              f"({await campus.attachment()})", flush=True)
        headline(f"time to reach every device of {len(plan.devices)}", attach if reached else float("nan"), "s")
        received = collections.Counter()
        device_states = collections.Counter()  # device.offline/online/fault by reason

        async def subscribe() -> None:
            async with HubClient(grpc_target, token) as client:
                async for event in client.events(from_earliest=False):
                    now = time.time()
                    meter.received(event, now)
                    received[event.raw.protocol or "device-state"] += 1
                    if not event.raw.protocol:
                        reason = event.attributes.get("reason", "")
                        device_states[f"{event.type} {reason[:50]}"] += 1

        tasks.append(asyncio.ensure_future(subscribe()))
        await asyncio.sleep(1.0)
        noise = Noise(campus, plan.scenario.noise, args.rate)
        tasks.append(asyncio.ensure_future(noise.run()))
        tasks.append(asyncio.ensure_future(play_timeline(campus, plan.timeline, lambda line: None)))
        lags: list[float] = []
        tasks.append(asyncio.ensure_future(loop_lag(lags)))
        await asyncio.sleep(args.warmup)
        meter.measuring = True
        received.clear()
        device_states.clear()
        lags.clear()
        cpu_before, wall_before = hub_cpu_seconds(hub.pid), time.monotonic()
        own_before = cpu_seconds(os.getpid())
        modbus_before = sum(p.requests for p in campus.fire.panels.values()) if campus.fire else 0
        await asyncio.sleep(args.seconds)
        cpu_after, wall_after = hub_cpu_seconds(hub.pid), time.monotonic()
        own_after = cpu_seconds(os.getpid())
        modbus_after = sum(p.requests for p in campus.fire.panels.values()) if campus.fire else 0
        meter.measuring = False
        window = wall_after - wall_before
        await asyncio.sleep(args.drain)  # events of the window's last actions are still on their way
        rss, peak = memory_mib(hub.pid)
        total = sum(received.values())
        headline(f"delivered at {args.rate:g}/s offered", total / window, "events/s")
        headline("hub CPU", 100 * (cpu_after - cpu_before) / window, "% of a core")
        headline("hub peak RSS", peak, "MiB")
        print(f"2. delivered {total / window:.0f} events/s sustained over {window:.0f} s at {args.rate:g}/s offered "
              f"background ({dict(received)}); noise played {dict(noise.played)}, failed {dict(noise.failed)}, skipped (device busy) {noise.skipped}", flush=True)
        print(f"3. hub CPU {100 * (cpu_after - cpu_before) / window:.0f}% of one core; RSS {rss:.0f} MiB "
              f"(peak {peak:.0f} MiB)", flush=True)
        lags.sort()
        print(f"   (simulators + subscriber process: CPU {100 * (own_after - own_before) / window:.0f}% of one core, "
              f"loop lag p50 {1000 * statistics.median(lags):.0f} ms p99 {1000 * percentile(lags, 0.99):.0f} ms; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
        print(f"   (Modbus requests answered by the simulated panels: {(modbus_after - modbus_before) / window:.0f}/s)",
              flush=True)
        if device_states:
            print("   device-state events: " + "; ".join(f"{n} x {what}" for what, n in device_states.most_common(5)),
                  flush=True)
        pending = meter.still_pending()
        print(f"4. device-to-subscriber delay per family (ms), of actions inside the window (pending: no "
              f"event {args.drain:g} s after it):", flush=True)
        for family in ("sia", "snmp", "onvif", "modbus"):
            samples = sorted(meter.delays.get(family, []))
            if not samples:
                print(f"   {family:7s} no samples (offered {meter.offered[family]})", flush=True)
                continue
            to_hub = sorted(meter.to_hub[family])
            headline(f"{family} device -> subscriber p99", 1000 * percentile(samples, 0.99), "ms")
            print(f"   {family:7s} n={len(samples):6d} of {meter.offered[family]:6d} (missed {meter.missed[family]}, "
                  f"pending {pending[family]})"
                  f"  p50 {1000 * statistics.median(samples):7.1f}  p99 {1000 * percentile(samples, 0.99):7.1f}"
                  f"  max {1000 * samples[-1]:7.1f}   [device to hub: p50 {1000 * statistics.median(to_hub):7.1f}"
                  f"  p99 {1000 * percentile(to_hub, 0.99):7.1f}]", flush=True)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if hub.returncode is None:
            hub.send_signal(signal.SIGTERM)
            await hub.wait()
        await campus.stop()
    print_result("campus")
    return 0


if __name__ == "__main__":
    from hub.cli import runtime

    sys.exit(runtime.run(main))
