"""Linkage benchmark (issue 15), hub and simulated cameras in this process over loopback.

Prints:
  1. alarm -> snapshot stored and attached to the alarm: p50/p99 over ``--alarms`` panic alarms,
     one at a time every ``--interval`` s, with ``--cameras`` cameras configured (ONVIF simulator,
     each covering one zone; the rule takes the covering camera's snapshot) — target p99 <= 1 s;
  2. rule evaluation cost per event with ``--rules`` rules loaded (when + a CEL condition on
     half of them), us/event, over events that match none (the common case);
  3. pipeline throughput with those rules and without, in one run, as a ratio (events journaled
     and considered by linkage per second).

Usage: python -m bench.bench_linkage [--cameras 800] [--alarms 100] [--rules 200] [--events 20000]
Full size takes about 2-3 minutes (connecting 800 cameras is most of it).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

from hub import reactor

reactor.install()

from adapters.onvif.adapter import OnvifAdapter  # noqa: E402
from adapters.onvif.options import CameraOptions, OnvifOptions  # noqa: E402
from bench.results import headline, print_result  # noqa: E402
from hub.alarms import AlarmClass  # noqa: E402
from hub.cli import logs  # noqa: E402
from hub.config.linkage import LinkageConfig  # noqa: E402
from hub.events import Category, Severity, Site, State, new_event  # noqa: E402
from hub.journal import JournalCursor  # noqa: E402
from hub.kernel import AdapterInstance, Hub, HubSettings  # noqa: E402
from hub.kernel._registry import DeviceState  # noqa: E402
from hub.spi import DeviceSpec  # noqa: E402
from simulators.camera.camera import CameraConfig  # noqa: E402
from simulators.camera.simulator import CameraSimulator  # noqa: E402

SCHOOL_SIZE = 20  # cameras per school


def _site(i: int) -> Site:
    return Site(region_code="140802", school_id=f"sch-{i // SCHOOL_SIZE}", zone=f"z-{i}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def snapshot_latency(args) -> None:
    sim = await CameraSimulator.start([CameraConfig(name=f"cam-{i}", snapshot_auth="digest")
                                       for i in range(args.cameras)])
    devices = [DeviceSpec(id=f"cam-{i}", kind="camera", adapter="onvif", site=_site(i),
                          options=CameraOptions(host="127.0.0.1", port=sim[f"cam-{i}"].http_port, password="admin",
                                                events=False))
               for i in range(args.cameras)]
    devices += [DeviceSpec(id=f"pb-{i}", kind="panic_button", adapter="none", site=_site(i))
                for i in range(args.cameras)]
    section = LinkageConfig.model_validate({
        "coverage": [{"camera": f"cam-{i}", "sites": [{"zone": f"z-{i}"}]} for i in range(args.cameras)],
        "rules": [{"id": "panic-snapshot", "when": {"alarm_class": "panic"}, "mode": "parallel",
                   "do": [{"snapshot": {"max": 1}}]}]})
    with tempfile.TemporaryDirectory() as data:
        hub = Hub(HubSettings(
            journal_path=f"{data}/journal.db", devices=devices, grpc_address="127.0.0.1:0", metrics_address=None,
            adapters=[AdapterInstance("onvif", OnvifAdapter, OnvifOptions(health_interval=300, max_setups=32))],
            alarm_classes=[AlarmClass(name="panic", priority=1, categories=frozenset({Category.CATEGORY_PANIC}))],
            linkage_rules=section.engine_rules(), coverage=section.engine_coverage(), blocking_threads=16))
        await hub.start()
        try:
            started = time.perf_counter()
            while sum(1 for d in devices[:args.cameras]
                      if hub.registry.get(d.id).state == DeviceState.DEVICE_STATE_ONLINE) < args.cameras:
                if time.perf_counter() - started > args.connect_timeout:
                    raise SystemExit("cameras did not all connect in time")
                await asyncio.sleep(0.2)
            print(f"{args.cameras} cameras connected in {time.perf_counter() - started:.1f} s")
            latencies = []
            for n in range(args.alarms):
                i = (n * 37) % args.cameras
                alarm = f"pb-{i}/panic.alarm/z-{i}"
                sent = time.perf_counter()
                await hub.submit(new_event(device_id=f"pb-{i}", type="panic.alarm", category=Category.CATEGORY_PANIC,
                                           severity=Severity.SEVERITY_CRITICAL, state=State.STATE_RAISED), "bench")
                known = len(hub.alarms.media.get(alarm, ()))
                while len(hub.alarms.media.get(alarm, ())) <= known:
                    if time.perf_counter() - sent > 10:
                        raise SystemExit(f"no snapshot attached to {alarm} within 10 s")
                    await asyncio.sleep(0.002)
                latencies.append(time.perf_counter() - sent)
                await asyncio.sleep(args.interval)
        finally:
            await hub.stop()
            await sim.stop()
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    print(f"alarm -> snapshot stored and attached ({args.cameras} cameras, {len(latencies)} alarms): "
          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    headline("alarm to snapshot attached p99", p99 * 1000, "ms", at_most=1000)
    headline("alarm to snapshot attached p50", p50 * 1000, "ms")


_CATEGORIES = ("fire", "panic", "intrusion", "video", "network", "power")


def _rules(n: int) -> LinkageConfig:
    """Rules as a county might write them: each on a category and type, a third with a CEL
    condition; none matches the benchmark's events (their actions are never run)."""
    rules = []
    for r in range(n):
        rule = {"id": f"rule-{r}", "when": {"categories": [_CATEGORIES[r % len(_CATEGORIES)]]},
                "do": [{"snapshot": {}}]}
        if r % 3 == 0:
            rule["condition"] = f'event.attributes["rule"] == "{r}" && event.site.zone == "never"'
        else:
            rule["when"]["type_prefixes"] = [f"kind{r}."]
        rules.append(rule)
    return LinkageConfig.model_validate({"rules": rules})


#: The event mix: mostly camera motion and network chatter, some fire, panic, intrusion, power.
_MIX = ((Category.CATEGORY_VIDEO, "video.motion"), (Category.CATEGORY_VIDEO, "video.motion"),
        (Category.CATEGORY_NETWORK, "network.link_up"), (Category.CATEGORY_VIDEO, "video.motion"),
        (Category.CATEGORY_FIRE, "fire.fault"), (Category.CATEGORY_PANIC, "panic.test"),
        (Category.CATEGORY_INTRUSION, "intrusion.alarm"), (Category.CATEGORY_POWER, "power.ac_loss"))


def _events(n: int):
    return [new_event(device_id=f"dev-{i % 500}", type=_MIX[i % len(_MIX)][1], category=_MIX[i % len(_MIX)][0],
                      severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY, attributes={"n": i, "rule": "x"})
            for i in range(n)]


async def _throughput(rules, events, data: str, name: str) -> tuple[float, list]:
    devices = [DeviceSpec(id=f"dev-{i}", kind="camera", adapter="bench", site=_site(i)) for i in range(500)]
    hub = Hub(HubSettings(journal_path=f"{data}/{name}.db", devices=devices, grpc_address="127.0.0.1:0",
                          metrics_address=None, dedupe_window=0.0, durability="normal", linkage_rules=rules))
    await hub.start()
    try:
        started = time.perf_counter()
        futures = [hub.submit(event, "bench") for event in events]
        await asyncio.gather(*futures)
        head = hub.journal.head
        while hub.linkage.position < head:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        entries = await JournalCursor.at(hub.journal, 0).read(5000)
    finally:
        await hub.stop()
    return len(events) / elapsed, entries


async def rules_cost(args) -> None:
    config = _rules(args.rules)
    rules = config.engine_rules()
    from hub.linkage import Coverage, DryRunActions, LinkageEngine

    with tempfile.TemporaryDirectory() as data:
        # Interleaved, so both see the same machine: without, with, without, with.
        figures = {"without": [], "with": []}
        entries = []
        for _ in range(args.repeat):
            for name, loaded in (("without", ()), ("with", rules)):
                rate, entries = await _throughput(loaded, _events(args.events), data, f"{name}-{len(figures[name])}")
                figures[name].append(rate)
    engine = LinkageEngine(rules, Coverage(), DryRunActions(), lambda e, a: None)
    decoded = [(entry, None) for entry in entries]
    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < args.eval_seconds:
        for entry, _ in decoded:
            engine.consider(entry)
        rounds += 1
    per_event = (time.perf_counter() - started) / (rounds * len(decoded)) * 1e6
    without, with_rules = statistics.median(figures["without"]), statistics.median(figures["with"])
    print(f"rule evaluation: {per_event:.1f} us/event with {len(rules)} rules ({(len(rules) + 2) // 3} with a CEL "
          "condition), the event decoded once per event as in the hub")
    print(f"pipeline throughput: {without:,.0f} events/s without rules, {with_rules:,.0f} with {len(rules)} "
          f"(ratio {with_rules / without:.2f}); runs without {[round(x) for x in figures['without']]}, "
          f"with {[round(x) for x in figures['with']]}")
    headline(f"rule evaluation, {len(rules)} rules", per_event, "us/event")
    headline("pipeline throughput with rules / without", with_rules / without, "ratio")


async def run(args) -> int:
    logs.configure("warning", "console")
    if args.cameras:
        await snapshot_latency(args)
    await rules_cost(args)
    print_result("linkage")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=800, help="cameras configured (0: skip the snapshot figure)")
    parser.add_argument("--alarms", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between alarms")
    parser.add_argument("--connect-timeout", type=float, default=180.0)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--events", type=int, default=20000, help="events per throughput run")
    parser.add_argument("--repeat", type=int, default=2, help="throughput runs of each kind")
    parser.add_argument("--eval-seconds", type=float, default=3.0)
    args = parser.parse_args()
    from hub.cli.runtime import run as run_main

    return run_main(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
