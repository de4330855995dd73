"""Reports and ledger: the connectivity report over generated history, the ledger's filtered
paged list, and rebuilding the report projection from a large journal.

  python -m bench.bench_reports                     # 2,600 devices, 30 days; 100,000 entries; 1,000,000 events
  python -m bench.bench_reports --quick             # small: a check that it works
  python -m bench.bench_reports --only restart      # one part (connectivity, ledger, rebuild, tick, restart)

1. A journal of ``--days`` of generated history for the county scenario's devices (census,
   outages, panic tests, fire tests, false alarms; simulators.campus.history) is written; the
   report projection is rebuilt from it and the connectivity report for the whole window at
   every level and class is timed (target ≤ 1 s).
2. A ledger of ``--entries`` entries; ListHazards (the LedgerService method itself, without the
   network) with a filter (open, one category, one county) and a page of 100 is timed (≤ 100 ms).
3. A journal of about ``--journal-events`` events (the same history with more outages) is
   rebuilt into the report projection: time and events/s.
4. Tick: the ledger's time-driven decisions (cameras offline too long, panic tests, false
   alarms; hub.ledger.LedgerProjection.tick without its journal writes) over the county's
   ``--devices`` and a ledger of ``--entries`` entries, which it runs every minute on the loop.
5. Restart: the report and ledger projections start (``restore``) on that journal from their
   snapshot with a tail of ``--tail-share`` of it journaled after the snapshot, against starting
   without a snapshot (a full rebuild, as before snapshots).
Each timing is repeated ``--repeat`` times; the median and the spread are printed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time

from bench.results import headline, print_result


def generated_specs(devices: int):
    """Devices shaped like the county scenario's school template (52 a school)."""
    from hub.events import Site
    from hub.spi import DeviceSpec
    template = ([("fire_panel", 4), ("camera", 16), ("switch", 2), ("ups", 2), ("panic_button", 20),
                 ("intrusion_panel", 8)])
    specs, school = [], 0
    while len(specs) < devices:
        school += 1
        for kind, count in template:
            for n in range(count):
                specs.append(DeviceSpec(id=f"s{school:03d}-{kind}-{n}", kind=kind, adapter="sim",
                                        site=Site(region_code="140802", school_id=f"sch-140802-{school:03d}")))
    return specs[:devices]


def timed(repeat: int, action) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


async def timed_async(repeat: int, action) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


def spread(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.1f} ms (min {min(samples) * 1000:.1f}, max " \
           f"{max(samples) * 1000:.1f}, n={len(samples)})"


async def journal_of(path: str, specs, days: float, **kwargs) -> tuple[float, float, int]:
    from hub.journal import Journal
    from simulators.campus.history import history, write_history
    end = time.time() - 60
    start = end - days * 86400
    events, _ = history(specs, start, end, seed=1, **kwargs)
    journal = Journal(path, durability="off", max_age=None, max_bytes=None)
    await journal.open()
    await write_history(journal, events)
    await journal.close()
    return start, end, len(events)


async def rebuilt(path: str):
    from hub.journal import Journal
    from hub.reports import ReportProjection, ReportSettings
    journal = Journal(path, durability="off", max_age=None, max_bytes=None)
    await journal.open()
    projection = ReportProjection(journal, None, None, ReportSettings(retention=None), "bench")
    return journal, projection


async def bench_connectivity(work: str, args) -> None:
    from hub.reports import connectivity
    specs = generated_specs(args.devices)
    path = os.path.join(work, "history.db")
    started = time.perf_counter()
    start, end, events = await journal_of(path, specs, args.days)
    print(f"generated {events:,} events of {args.days:g} days for {len(specs):,} devices in "
          f"{time.perf_counter() - started:.1f} s")
    journal, projection = await rebuilt(path)
    await projection.rebuild()
    rows = connectivity(projection.facts, projection.settings, start, end)
    samples = timed(args.repeat, lambda: connectivity(projection.facts, projection.settings, start, end))
    county = next(r for r in rows if r.level == "county" and r.device_class == "all")
    print(f"connectivity report, {len(rows)} rows (county 联网率 {county.networked_rate:.1%}, 在线率 "
          f"{county.online_rate:.1%}): {spread(samples)}")
    headline(f"connectivity report, {len(specs)} devices, {args.days:g} days", statistics.median(samples), "s",
             at_most=1.0)
    await journal.close()


async def bench_ledger(args) -> None:
    from hub.api.grpc._ledger import LedgerApi
    from hub.access import Scope, Subscriber
    from hub.ledger import DEFAULT_CATEGORIES, Hazard, LedgerProjection, LedgerSettings
    from campushub.v1 import ledger_service_pb2 as pb
    rng = random.Random(1)
    now = time.time()
    ledger = LedgerProjection(None, None, LedgerSettings(photo_dir=tempfile.mkdtemp()))
    states = ("registered", "rectifying", "awaiting_acceptance", "closed")
    for n in range(args.entries):
        county = rng.choice(("140802", "140821", "140822", "140823"))
        ledger.table[f"HZ-{n:08d}"] = Hazard(
            id=f"HZ-{n:08d}", grade=rng.choice(("general", "general", "major")),
            category=rng.choice(DEFAULT_CATEGORIES), region=county, school=f"sch-{county}-{rng.randrange(50):03d}",
            description="finding", state=rng.choice(states), deadline=now + rng.uniform(-30, 30) * 86400,
            registered_at=now - rng.uniform(0, 300) * 86400)
    subscriber = Subscriber("bench", "", Scope(all_regions=True), "viewer")

    class Events:
        async def caller(self, context):
            return subscriber

        def school_regions(self):
            return {}

    class Context:
        async def abort(self, code, message):
            raise RuntimeError(message)

    api = LedgerApi(Events(), ledger)
    request = pb.ListHazardsRequest(states=[pb.HAZARD_STATE_REGISTERED, pb.HAZARD_STATE_RECTIFYING],
                                    categories=["fire"], page_size=100)
    request.filter.region_prefixes.append("140802")
    api._school_regions = lambda: {}  # (every entry's region is known; no lookup table needed)
    response = await api.ListHazards(request, Context())
    samples = await timed_async(args.repeat, lambda: api.ListHazards(request, Context()))
    print(f"ledger of {args.entries:,}: filtered list ({response.total:,} match, page of {len(response.hazards)}): "
          f"{spread(samples)}")
    headline(f"ledger filtered paged list, {args.entries} entries", statistics.median(samples) * 1000, "ms",
             at_most=100.0)


async def bench_rebuild(work: str, args) -> None:
    specs = generated_specs(args.devices)
    path = os.path.join(work, "large.db")
    # ~2 state events per outage: outages per device-day to reach the target size.
    rate = max(0.3, args.journal_events / (len(specs) * args.days * 2))
    started = time.perf_counter()
    _, _, events = await journal_of(path, specs, args.days, outage_rate_per_day=rate, mean_outage_hours=0.2)
    print(f"generated a journal of {events:,} events in {time.perf_counter() - started:.1f} s")
    journal, projection = await rebuilt(path)
    samples = await timed_async(args.repeat, projection.rebuild)
    print(f"report projection rebuilt from {journal.head:,} events: {spread(samples)}, "
          f"{journal.head / statistics.median(samples):,.0f} events/s")
    headline(f"projection rebuild, {journal.head} events", statistics.median(samples), "s")
    headline("projection rebuild rate", journal.head / statistics.median(samples), "events/s")
    await journal.close()


async def bench_tick(args) -> None:
    import types
    from hub.ledger import DEFAULT_CATEGORIES, Hazard, LedgerProjection, LedgerSettings
    from hub.reports import Facts, ReportSettings
    rng = random.Random(1)
    now = time.time()
    settings = ReportSettings(retention=None)
    facts = Facts(settings.classes)
    specs = generated_specs(args.devices)
    for spec in specs:  # online for days, panic tests passed: nothing to decide, everything to look at
        track = facts._track(spec.id, spec.site.region_code, spec.site.school_id, spec.kind, "bench", now - 10 * 86400)
        track.set_online(now - 5 * 86400, True)
        track.tests.append((now - 3600, 0.5))
    ledger = LedgerProjection(None, None, LedgerSettings(photo_dir=tempfile.mkdtemp(), tick_interval=None),
                              types.SimpleNamespace(facts=facts, settings=settings))
    for n in range(args.entries):
        spec = rng.choice(specs)
        ledger.tables.applied(Hazard(
            id=f"HZ-{n:08d}", grade="general", category=rng.choice(DEFAULT_CATEGORIES), region="140802",
            school=spec.site.school_id, description="finding", device=spec.id,
            cause=rng.choice(("", "camera_offline", "panic_test_missed")), state="closed",
            source="auto:bench", registered_at=now - 86400, deadline=now + 86400))
    samples = timed(args.repeat, lambda: ledger._from_reports(now))
    print(f"ledger tick over {len(specs):,} devices and {args.entries:,} entries: {spread(samples)}")
    headline(f"ledger tick, {len(specs)} devices, {args.entries} entries", statistics.median(samples) * 1000, "ms")


async def bench_restart(work: str, args) -> None:
    from hub.journal import Journal
    from hub.ledger import LedgerProjection, LedgerSettings
    from hub.reports import ReportProjection, ReportSettings
    from simulators.campus.history import history, write_history
    specs = generated_specs(args.devices)
    rate = max(0.3, args.journal_events / (len(specs) * args.days * 2))
    end = time.time() - 60
    events, _ = history(specs, end - args.days * 86400, end, seed=2, outage_rate_per_day=rate,
                        mean_outage_hours=0.2)
    split = len(events) - int(len(events) * args.tail_share)
    path = os.path.join(work, "restart.db")
    journal = Journal(path, durability="off", max_age=None, max_bytes=None)
    await journal.open()
    await write_history(journal, events[:split])
    makers = {
        "report": lambda: ReportProjection(journal, None, None, ReportSettings(retention=None), "bench",
                                           snapshot_every=None),
        "ledger": lambda: LedgerProjection(journal, None, LedgerSettings(photo_dir=work, tick_interval=None),
                                           snapshot_every=None),
    }
    for make in makers.values():
        await make().restore()  # no snapshot yet: rebuilt, and one saved
    await write_history(journal, events[split:])
    await journal.close()
    # Opened again, as a restart does: nothing in the journal's tail cache, every read from the file.
    journal = Journal(path, durability="off", max_age=None, max_bytes=None)
    await journal.open()
    print(f"restart on a journal of {journal.head:,} events, {len(events) - split:,} of them after the snapshot:")
    for name, make in makers.items():
        without = await timed_async(args.repeat, lambda: make().rebuild())
        with_snapshot = await timed_async(args.repeat, lambda: make().restore())
        print(f"  {name} projection: without a snapshot (full rebuild) {spread(without)}; from the snapshot and "
              f"the tail {spread(with_snapshot)} ({statistics.median(without) / statistics.median(with_snapshot):.0f}x)")
        headline(f"{name} restart without snapshot, {journal.head} events", statistics.median(without), "s")
        headline(f"{name} restart from snapshot + {args.tail_share:.0%} tail", statistics.median(with_snapshot), "s")
    await journal.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench_reports", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a check that it works)")
    parser.add_argument("--devices", type=int, default=2600)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--journal-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tail-share", type=float, default=0.01, help="share of the journal after the snapshot")
    parser.add_argument("--only", choices=("connectivity", "ledger", "rebuild", "tick", "restart"), action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    if args.quick:
        args.devices, args.days, args.entries, args.journal_events, args.repeat = 104, 3, 2000, 20_000, 3
    from hub.cli import logs
    logs.configure("warning")

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-reports-") as work:
            parts = {"connectivity": bench_connectivity, "ledger": bench_ledger, "rebuild": bench_rebuild,
                     "tick": bench_tick, "restart": bench_restart}
            for name, part in parts.items():
                if not args.only or name in args.only:
                    await (part(args) if name in ("ledger", "tick") else part(work, args))
    asyncio.run(run())
    print_result("reports")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
