"""Pipeline benchmark (issue 2): hub in this process with an in-process emitter, 4 real gRPC
subscribers over loopback in a second process.

Prints:
  1. sustained events/s journaled and delivered to all subscribers (batched stream),
  2. the same workload streamed one event per message (max_batch_size=1) as a baseline, and the ratio,
  3. p50/p99 latency from emit to client receipt at a steady 2,000 events/s,
  4. resident memory of a hub with 10,000 registered devices (fresh process).

Usage: python -m bench.bench_pipeline [--events 300000] [--repeat 3] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from hub import reactor

reactor.install()

from bench.results import headline, print_result  # noqa: E402
from hub.cli import logs  # noqa: E402
from hub.kernel import Hub, HubSettings  # noqa: E402
from hub.cli import interpreter  # noqa: E402
from hub.access import Subscriber  # noqa: E402
from hub.access import new_token  # noqa: E402
from hub.events import Category, Severity, Site, State, new_event  # noqa: E402
from hub.access import Scope  # noqa: E402
from hub.spi import DeviceSpec  # noqa: E402


def devices(n: int) -> list[DeviceSpec]:
    return [DeviceSpec(id=f"dev-{i}", kind="camera", adapter="bench",
                       site=Site(region_code="140802", school_id=f"sch-{i % 50}", building="A"))
            for i in range(n)]


def template(i: int):
    return new_event(device_id=f"dev-{i % 1000}", type="video.motion", category=Category.CATEGORY_VIDEO,
                     severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY, attributes={"n": i},
                     raw_protocol="bench", raw_data=b"x" * 48)


async def start_hub(tmp: str, token_sha: str, durability: str) -> Hub:
    hub = Hub(HubSettings(journal_path=f"{tmp}/journal.db", devices=devices(1000), durability=durability,
                          subscribers=[Subscriber("bench", token_sha, Scope(all_regions=True))],
                          grpc_address="127.0.0.1:0", metrics_address=None, dedupe_window=0,
                          max_age=None, max_bytes=None, max_events_per_commit=10_000))
    interpreter.tune_for_hub()  # as campus-hub run does
    await hub.start()
    interpreter.freeze_startup_objects()
    return hub


async def start_clients(hub: Hub, token: str, expect: int, batch: int, delay_ms: int):
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.pipeline_client", "--target", f"127.0.0.1:{hub.grpc_port}",
        f"--token={token}", "--expect", str(expect), "--batch", str(batch), "--delay-ms", str(delay_ms),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return client


async def wait_ready(client) -> None:
    # The clients subscribe "from now" and say READY after their first heartbeat.
    line = await asyncio.wait_for(client.stdout.readline(), 60)
    if line.strip() != b"READY":
        await client.wait()
        problem = (await client.stderr.read()).decode(errors="replace")
        raise RuntimeError(f"the subscriber process exited ({client.returncode}) before subscribing: {problem}")


async def throughput(events: int, batch: int, durability: str) -> dict:
    token, sha = new_token()
    with tempfile.TemporaryDirectory() as tmp:
        hub = await start_hub(tmp, sha, durability)
        client = await start_clients(hub, token, events, batch, 0)
        await wait_ready(client)
        started = time.perf_counter()
        started_wall = time.time()
        # An adapter emits what one datagram, frame or poll brought, then yields to the loop.
        chunk = 200
        for i in range(0, events, chunk):
            for j in range(i, min(i + chunk, events)):
                hub.submit(template(j), "bench")
            # Back-pressure like a real adapter: don't run more than a few commits ahead.
            while len(hub.journal._pending) > 20_000:
                await asyncio.sleep(0.001)
            await asyncio.sleep(0)
        journaled_at = None
        while hub.journal.head < events:
            await asyncio.sleep(0.001)
        journaled_at = time.perf_counter() - started
        out, errors = await asyncio.wait_for(client.communicate(), 600)
        if client.returncode:
            raise RuntimeError(f"the subscriber process failed: {errors.decode(errors='replace')}")
        results = json.loads(out.decode().splitlines()[-1])
        # Until the last subscriber received the last event (the client's clock is this machine's).
        elapsed = max(r["last"] for r in results) - started_wall
        await hub.stop()
    return {"events": events, "journal_s": journaled_at, "delivered_s": elapsed,
            "journaled_per_s": events / journaled_at, "delivered_per_s": events / elapsed,
            "received": [r["count"] for r in results]}


async def latency(rate: int, seconds: float) -> dict:
    token, sha = new_token()
    total = int(rate * seconds)
    with tempfile.TemporaryDirectory() as tmp:
        hub = await start_hub(tmp, sha, "normal")
        client = await start_clients(hub, token, total, 0, 0)
        await wait_ready(client)
        loop = asyncio.get_running_loop()
        tick = 0.005
        per_tick = rate * tick
        due = 0.0
        sent = 0
        next_tick = loop.time()
        while sent < total:
            due += per_tick
            while sent < min(int(due), total):
                hub.submit(template(sent), "bench")
                sent += 1
            next_tick += tick
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
        out, _ = await asyncio.wait_for(client.communicate(), 120)
        results = json.loads(out.decode().splitlines()[-1])
        await hub.stop()
    samples = sorted(s for r in results for s in r["latencies"])
    return {"rate": rate, "samples": len(samples), "p50_ms": 1000 * statistics.median(samples),
            "p99_ms": 1000 * samples[int(0.99 * (len(samples) - 1))], "max_ms": 1000 * samples[-1]}


def memory_with_devices(n: int) -> tuple[float, float]:
    code = (
        "import asyncio, tempfile\n"
        "from hub import reactor; reactor.install()\n"
        "from bench.bench_pipeline import devices\n"
        "from hub.kernel import Hub, HubSettings\n"
        "async def main():\n"
        "    with tempfile.TemporaryDirectory() as tmp:\n"
        f"        hub = Hub(HubSettings(journal_path=tmp + '/j.db', devices=devices({n}), grpc_address='127.0.0.1:0', metrics_address=None))\n"
        "        await hub.start()\n"
        "        for d in hub.registry: hub.registry.transition(d.spec.id, 2, '')\n"
        "        await asyncio.sleep(0.5)\n"
        "        rss = lambda pid: int([l for l in open(f'/proc/{pid}/status') if l.startswith('VmRSS')][0].split()[1])\n"
        "        print('RSS_MB', rss('self') / 1024, rss(hub.journal.store_pid) / 1024)\n"
        "        await hub.stop()\n"
        "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    hub_mb, store_mb = next(l for l in out.stdout.splitlines() if l.startswith("RSS_MB")).split()[1:]
    return float(hub_mb), float(store_mb)


async def main(args) -> None:
    logs.configure("warning")
    print(f"campus-hub pipeline benchmark on {os.cpu_count()} cores, 4 subscribers in a second process")
    runs = []
    for run_number in range(1, args.repeat + 1):
        runs.append(await throughput(args.events, 0, "normal"))
        print(f"[batched, durability=normal, run {run_number}/{args.repeat}] {args.events} events: journaled "
              f"{runs[-1]['journaled_per_s']:,.0f}/s, delivered to 4 subscribers {runs[-1]['delivered_per_s']:,.0f}/s "
              f"({runs[-1]['delivered_s']:.2f} s)", flush=True)
    batched = sorted(runs, key=lambda r: r["delivered_per_s"])[len(runs) // 2]
    print(f"[batched, durability=normal] median of {len(runs)}: delivered to 4 subscribers "
          f"{batched['delivered_per_s']:,.0f}/s (target 50,000/s)")
    headline("delivered to 4 subscribers (batched)", batched["delivered_per_s"], "events/s", at_least=50_000)
    single_n = max(10_000, args.events // 5)
    single = await throughput(single_n, 1, "normal")
    print(f"[one event per message baseline] {single_n} events: delivered {single['delivered_per_s']:,.0f}/s")
    print(f"ratio batched/one-per-message: {batched['delivered_per_s'] / single['delivered_per_s']:.1f}x")
    headline("batched / one event per message", batched["delivered_per_s"] / single["delivered_per_s"], "x")
    if not args.quick:
        full = await throughput(args.events // 2, 0, "full")
        print(f"[batched, durability=full (fsync per commit)] delivered {full['delivered_per_s']:,.0f}/s")
        headline("delivered, durability full", full["delivered_per_s"], "events/s")
    lat = await latency(2000, args.latency_seconds)
    print(f"[latency at {lat['rate']}/s] emit->client p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms, "
          f"max {lat['max_ms']:.2f} ms ({lat['samples']} batch samples)")
    headline(f"emit -> client p99 at {lat['rate']}/s", lat["p99_ms"], "ms")
    hub_mb, store_mb = memory_with_devices(10_000)
    print(f"[memory] hub with 10,000 registered devices: {hub_mb:.0f} MB resident, plus {store_mb:.0f} MB "
          f"for its journal store process (target < 300 MB)")
    headline("hub RSS with 10,000 devices", hub_mb, "MB", at_most=300)
    print_result("pipeline")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3, help="batched throughput runs (the median is reported)")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true")
    from hub.cli.runtime import run
    ns = parser.parse_args()
    sys.exit(run(lambda: main(ns)))
