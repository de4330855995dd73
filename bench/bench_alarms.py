"""Alarm benchmarks (issue 14), one hub per part, in this process (the clients share its CPU;
the figures are upper bounds of what a separate client would see):

- rebuild: the alarm table rebuilt at hub start from a journal of --journal-events events, of
  which --alarms are alarm changes (read through the journal's partial index): seconds and
  journal events/s;
- encoding: the hub encodes its alarms for WatchAlarms in the background after start: how long,
  and the longest the event loop was held meanwhile;
- refresh: WatchAlarms' refresh of --alarms active alarms delivered to a client (target <= 1 s),
  in alarm_batch messages of 1000 (refresh_batch_size): the first after start (once the hub has
  encoded its alarms), then the median of --repeat more; and once one alarm per message, as a
  client that asks for no batches gets it;
- ack fan-out: acknowledge -> the change seen by each of 10 watchers, p99 (target <= 50 ms);
- sia: SIA DC-09 panic/restore frames from --panels real SIA transmitters over TCP at --rate
  frames/s -> the change visible in WatchAlarms, p99 (target <= 20 ms);
- pipeline: events/s through the pipeline with alarm classes loaded vs without, as a ratio
  (1% of the events are alarms).

Usage: ``.venv/bin/python -m bench.bench_alarms [--alarms 100000] [--journal-events 1000000]
[--acks 300] [--panels 100] [--rate 500] [--seconds 6] [--pipeline-events 100000]``; ``--quick``
runs tiny sizes.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time

from hub import reactor

reactor.install()

from adapters.sia.adapter import SiaAdapter  # noqa: E402
from adapters.sia.options import SiaDeviceOptions, SiaOptions  # noqa: E402
from bench.results import headline, print_result  # noqa: E402
from hub.access import Scope, Subscriber, new_token  # noqa: E402
from hub.alarms import AlarmClass, Raise, apply  # noqa: E402
from hub.alarms import Alarm, alarm_id  # noqa: E402
from hub.alarms._journaled import change_event  # noqa: E402
from hub.api.grpc.client import HubClient  # noqa: E402
from hub.cli import logs  # noqa: E402
from hub.events import Category, Severity, Site, State, new_event, stamp_received  # noqa: E402
from hub.journal import Journal  # noqa: E402
from hub.kernel import AdapterInstance, Hub, HubSettings  # noqa: E402
from hub.spi import DeviceSpec  # noqa: E402
from simulators.sia import SiaTransmitter  # noqa: E402

#: The refresh_batch_size the batched refresh asks for.
REFRESH_BATCH = 1000
CLASSES = (AlarmClass(name="panic", priority=1, categories=frozenset({Category.CATEGORY_PANIC}), latch=True),
           AlarmClass(name="fire", priority=1, categories=frozenset({Category.CATEGORY_FIRE})))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def settings(tmp: str, sha: str, **overrides) -> HubSettings:
    values = dict(journal_path=f"{tmp}/journal.db", devices=[], alarm_classes=CLASSES, durability="normal",
                  subscribers=[Subscriber("bench", sha, Scope(all_regions=True), "supervisor")],
                  grpc_address="127.0.0.1:0", metrics_address=None, dedupe_window=0, max_age=None, max_bytes=None,
                  max_events_per_commit=10_000, alarm_tick_interval=None)
    values.update(overrides)
    return HubSettings(**values)


async def write_journal(path: str, alarms: int, total: int) -> None:
    """``alarms`` alarm changes (each raising one alarm) spread through ``total`` events."""
    journal = Journal(path, durability="off", max_events_per_commit=20_000)
    await journal.open()
    every = max(1, total // max(1, alarms))
    now = time.time()
    pending, raised = [], 0
    for n in range(total):
        if n % every == 0 and raised < alarms:
            device = f"pb-{raised}"
            alarm = apply(Alarm(id=alarm_id(device, "panic.alarm"), device=device, type="panic.alarm",
                                region="140802", school=f"sch-{raised % 100}", category=Category.CATEGORY_PANIC,
                                class_name="panic", priority=1, latching=True), Raise(momentary=True), now, "bench")
            event = change_event(alarm.alarm, alarm.kind)
            raised += 1
        else:
            event = new_event(device_id=f"cam-{n % 1000}", type="video.motion", category=Category.CATEGORY_VIDEO,
                              severity=Severity.SEVERITY_INFO, attributes={"n": n})
            event.site.region_code, event.site.school_id = "140802", f"sch-{n % 100}"
        stamp_received(event, now)
        pending.append(journal.append(event))
        if len(pending) >= 20_000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    await journal.close()


async def refresh_time(client: HubClient, batch_size: int = 0) -> tuple[float, int]:
    started = time.perf_counter()
    call = client.watch_alarms(refresh_batch_size=batch_size)
    alarms = 0
    async for message in call:
        kind = message.WhichOneof("kind")
        if kind == "alarm":
            alarms += 1
        elif kind == "alarm_batch":
            alarms += len(message.alarm_batch.alarms)
        elif kind == "refresh_end":
            break
    elapsed = time.perf_counter() - started
    call.cancel()
    return elapsed, alarms


async def part_table(args) -> None:
    token, sha = new_token()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"writing a journal of {args.journal_events} events, {args.alarms} of them alarm changes ...")
        await write_journal(f"{tmp}/journal.db", args.alarms, args.journal_events)
        buttons = [DeviceSpec(id=f"pb-{n}", kind="panic_button", adapter="bench",
                              site=Site(region_code="140802", school_id=f"sch-{n % 100}")) for n in range(args.alarms)]
        hub = Hub(settings(tmp, sha, devices=buttons))
        started = time.perf_counter()
        await hub.start()
        took = time.perf_counter() - started
        print(f"  hub started (rebuilding {len(hub.alarms.table)} alarms) in {took:.2f} s: "
              f"{args.journal_events / took:,.0f} journal events/s")
        headline(f"hub start with alarm rebuild, {args.journal_events:,}-event journal", took, "s")
        headline("rebuild rate (journal events/s)", args.journal_events / took, "events/s")
        try:
            encoded, stall = await background_encoding(hub)
            print(f"  alarms encoded in the background after start in {encoded:.2f} s; longest the loop was "
                  f"held meanwhile: {stall * 1000:.1f} ms")
            headline(f"background encoding of {args.alarms:,} alarms after start", encoded, "s")
            headline("longest loop stall during the background encoding", stall * 1000, "ms")
            async with HubClient(f"127.0.0.1:{hub.grpc_port}", token) as client:
                times = []
                for _ in range(1 + args.repeat):
                    elapsed, count = await refresh_time(client, REFRESH_BATCH)
                    assert count == args.alarms, count
                    times.append(elapsed)
                single, count = await refresh_time(client)
                assert count == args.alarms, count
                print(f"  WatchAlarms refresh of {args.alarms} alarms in batches of {REFRESH_BATCH}: first "
                      f"{times[0]:.3f} s, then " + ", ".join(f"{t:.3f}" for t in times[1:])
                      + f" s; one alarm per message: {single:.3f} s")
                headline(f"WatchAlarms refresh of {args.alarms:,} alarms, batched, first after start",
                         times[0], "s", at_most=1.0)
                headline(f"WatchAlarms refresh of {args.alarms:,} alarms, batched (median of {args.repeat})",
                         statistics.median(times[1:]), "s", at_most=1.0)
                headline(f"WatchAlarms refresh of {args.alarms:,} alarms, one per message", single, "s")
                await ack_fanout(hub, client, token, args)
        finally:
            await hub.stop()


async def background_encoding(hub: Hub) -> tuple[float, float]:
    """Until the hub has encoded its alarms for WatchAlarms (started with its gRPC service): how
    long that took from the end of hub.start, and the longest the event loop was held meanwhile
    (a probe sleeping 1 ms at a time measures the gaps)."""
    started = time.perf_counter()
    done = hub.grpc.alarms.encoded_at_start
    longest = 0.0
    while not done.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        longest = max(longest, time.perf_counter() - before - 0.001)
    return time.perf_counter() - started, longest


async def ack_fanout(hub: Hub, client: HubClient, token: str, args) -> None:
    """10 watchers (resumed at the table's revision: no refresh), one acknowledgement at a time."""
    watchers = [HubClient(f"127.0.0.1:{hub.grpc_port}", token) for _ in range(10)]
    seen: list[dict[str, float]] = [{} for _ in watchers]
    arrived = asyncio.Event()

    async def watch(index: int, watcher: HubClient) -> None:
        async for message in watcher.watch_alarms(after_revision=hub.alarms.position):
            if message.change == "acknowledged":
                seen[index][message.alarm.id] = time.perf_counter()
                arrived.set()

    tasks = []
    for index, watcher in enumerate(watchers):
        await watcher.__aenter__()
        tasks.append(asyncio.ensure_future(watch(index, watcher)))
    await asyncio.sleep(0.5)  # every watcher's call is open
    latencies = []
    try:
        for n in range(args.acks):
            id_ = alarm_id(f"pb-{n}", "panic.alarm")
            sent = time.perf_counter()
            await client.acknowledge_alarm(id_, 1)
            while not all(id_ in s for s in seen):
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 10)
            latencies += [(s[id_] - sent) * 1000 for s in seen]
    finally:
        for task in tasks:
            task.cancel()
        for watcher in watchers:
            await watcher.__aexit__(None, None, None)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"  acknowledge -> 10 watchers: {args.acks} acks, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(latencies):.1f} ms")
    headline("acknowledge -> all of 10 watchers p99", p99, "ms", at_most=50.0)


async def part_sia(args) -> None:
    token, sha = new_token()
    panels = [DeviceSpec(id=f"panel-{n}", kind="panic_button", adapter="sia-main",
                         site=Site(region_code="140802", school_id=f"sch-{n % 10}"),
                         options=SiaDeviceOptions(account=f"{1000 + n}")) for n in range(args.panels)]
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(settings(tmp, sha, devices=panels, adapters=[AdapterInstance(
            "sia-main", SiaAdapter, SiaOptions(host="127.0.0.1", tcp_port=0, udp_port=None))]))
        await hub.start()
        try:
            adapter = hub.adapter("sia-main")
            await asyncio.wait_for(adapter.ready.wait(), 10)
            host, port = adapter.tcp_address
            transmitters = [await SiaTransmitter.start(host, port, account=f"{1000 + n}", transport="tcp",
                                                       ack_timeout_s=5.0) for n in range(args.panels)]
            sent: dict[tuple[str, int], float] = {}
            latencies: list[float] = []
            async with HubClient(f"127.0.0.1:{hub.grpc_port}", token) as client:
                async def watch() -> None:
                    async for message in client.watch_alarms(after_revision=hub.journal.head or 0):
                        key = (message.alarm.device_id, message.alarm.revision)
                        if key in sent:
                            latencies.append((time.perf_counter() - sent.pop(key)) * 1000)

                watcher = asyncio.ensure_future(watch())
                await asyncio.sleep(0.3)
                frames = int(args.rate * args.seconds)
                revisions = [0] * args.panels
                period = 1.0 / args.rate
                start = time.perf_counter()
                deliveries = []
                for n in range(frames):
                    await asyncio.sleep(max(0.0, start + n * period - time.perf_counter()))
                    panel = n % args.panels
                    revisions[panel] += 1
                    # Alternating press and restore: every frame is one change of the latched alarm.
                    code = "PA" if revisions[panel] % 2 else "PR"
                    sent[(f"panel-{panel}", revisions[panel])] = time.perf_counter()
                    deliveries.append(asyncio.ensure_future(transmitters[panel].send_sia(code, 1, area=1)))
                await asyncio.gather(*deliveries)
                deadline = time.perf_counter() + 10
                while sent and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)
                achieved = frames / (time.perf_counter() - start)
                watcher.cancel()
            for tx in transmitters:
                await tx.stop()
        finally:
            await hub.stop()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"  SIA frame -> WatchAlarms: {len(latencies)}/{frames} seen ({len(sent)} missing), target {args.rate:g}/s "
          f"(achieved {achieved:.0f}/s incl. drain), p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    headline(f"SIA panic frame -> WatchAlarms p99 at {args.rate:g} frames/s", p99, "ms", at_most=20.0)


async def pipeline_rate(args, classes) -> float:
    _, sha = new_token()
    devices = [DeviceSpec(id=f"dev-{n}", kind="camera", adapter="bench",
                          site=Site(region_code="140802", school_id=f"sch-{n % 50}")) for n in range(1000)]
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(settings(tmp, sha, devices=devices, alarm_classes=classes))
        await hub.start()
        try:
            started = time.perf_counter()
            futures = []
            for n in range(args.pipeline_events):
                alarm = n % 100 == 0  # 1% make alarms when the classes are loaded
                futures.append(hub.submit(new_event(
                    device_id=f"dev-{n % 1000}", type="fire.alarm" if alarm else "video.motion",
                    category=Category.CATEGORY_FIRE if alarm else Category.CATEGORY_VIDEO,
                    severity=Severity.SEVERITY_CRITICAL if alarm else Severity.SEVERITY_INFO,
                    state=State.STATE_RAISED if alarm else State.STATE_MOMENTARY, attributes={"n": n}), "bench"))
                if len(futures) >= 5000:
                    await asyncio.gather(*futures)
                    futures.clear()
            last = max(await asyncio.gather(*futures)) if futures else hub.journal.head
            await hub.alarms.wait_applied(last)  # the alarm table has taken every event
            return args.pipeline_events / (time.perf_counter() - started)
        finally:
            await hub.stop()


async def part_pipeline(args) -> None:
    rates = {"without": [], "with": []}
    for _ in range(args.repeat):
        rates["without"].append(await pipeline_rate(args, ()))
        rates["with"].append(await pipeline_rate(args, CLASSES))
    without, with_ = statistics.median(rates["without"]), statistics.median(rates["with"])
    print(f"  pipeline events/s without classes {[f'{r:,.0f}' for r in rates['without']]}, "
          f"with {[f'{r:,.0f}' for r in rates['with']]}: ratio {with_ / without:.2f}")
    headline("pipeline throughput with alarm classes / without", with_ / without, "ratio")


async def main(args) -> None:
    for part in (part_table, part_sia, part_pipeline):
        # Each part measures its own hub, not the collection of the last one's garbage (the
        # 100,000-alarm hub leaves ~500,000 objects whose collection takes ~0.8 s).
        gc.collect()
        await part(args)
    print_result("alarms")


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=100_000)
    parser.add_argument("--journal-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--acks", type=int, default=300)
    parser.add_argument("--panels", type=int, default=100)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--pipeline-events", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.alarms, args.journal_events, args.repeat, args.acks = 1000, 20_000, 1, 20
        args.panels, args.rate, args.seconds, args.pipeline_events = 10, 100.0, 1.0, 5000
    return args


if __name__ == "__main__":
    from hub.cli.runtime import run
    logs.configure(level="warning")
    namespace = parse()
    sys.exit(run(lambda: main(namespace)))
