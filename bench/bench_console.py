"""Benchmark: the operator console.

1. Journal -> browser push: C consoles hold the live stream (/events, server-sent events) open
   from a separate process (plain HTTP clients reading the stream as a browser's EventSource
   does); panic events arrive at a fixed rate; for every alarm change the latency is the time
   from the change being journaled (seen by a JournalCursor in the hub's process) to each
   console reading its SSE event -> p50/p99 over all consoles and changes.
2. The alarm queue page with A active alarms: GET /alarms?f=all over loopback, repeated -> p50/p99
   (the hub renders every row; "server time" includes the loopback round trip).
3. The same page fully loaded in headless Chromium (Debian's, via Selenium): Navigation Timing's
   loadEventEnd (HTML, htmx, its SSE extension, the script and style) -> median and max. The page
   comes with its first screen of rows (hub.console._views.FIRST_SCREEN; "rows" says how many),
   the rest is fetched when scrolled to, after the load.

Usage: ``.venv/bin/python bench/bench_console.py [--consoles 20] [--alarms 1000] [--events 300]
[--rate 20] [--loads 10] [--quick]``. Prints figures; never part of the test suite.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import hub.reactor  # noqa: E402  (installs the asyncio reactor before anything imports Twisted's)

hub.reactor.install()

from bench.results import headline, print_result  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the consoles (a child process) ----------------------------------------------------------------
async def _console(port: int, cookie: str, after: int, expected: int, seconds: float, seen: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /events?after={after} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                 f"Cookie: campushub_session={cookie}\r\n\r\n".encode())
    await writer.drain()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # the response head
    received, current = 0, None
    deadline = time.monotonic() + seconds
    while received < expected and time.monotonic() < deadline:
        try:
            line = await asyncio.wait_for(reader.readline(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        if line.startswith(b"id: "):
            current = int(line[4:])
        elif line.startswith(b"event: alarm"):
            seen.append((current, time.time()))
            received += 1
    writer.close()


async def _consoles_main(port: int, cookie: str, after: int, consoles: int, expected: int, seconds: float) -> None:
    seen: list[list] = [[] for _ in range(consoles)]
    await asyncio.gather(*(_console(port, cookie, after, expected, seconds, s) for s in seen))
    print(json.dumps(seen), flush=True)


# --- the hub side ------------------------------------------------------------------------------------
def _devices(count: int):
    from hub.events import Site
    from hub.spi import DeviceSpec
    return [DeviceSpec(id=f"pb-{i:05d}", kind="panic_button", adapter="bench", name=f"一键报警 {i}",
                       site=Site(region_code="140802", school_id=f"sch-{i % 20:02d}", building="A"))
            for i in range(count)]


def _panic(device: str):
    from hub.events import Category, Severity, State, new_event
    return new_event(device_id=device, type="panic.alarm", category=Category.CATEGORY_PANIC,
                     severity=Severity.SEVERITY_CRITICAL, state=State.STATE_MOMENTARY)


def _get(port: int, path: str, cookie: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": f"campushub_session={cookie}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    assert response.status == 200 and body, response.status
    return elapsed


def _browser_loads(url: str, cookie: str, loads: int) -> list[float]:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from tests.console.conftest import new_driver

    driver = new_driver()
    try:
        driver.get(url + "login")
        driver.add_cookie({"name": "campushub_session", "value": cookie, "path": "/"})
        times = []
        for _ in range(loads + 1):
            driver.get(url + "alarms?f=all")
            timing = driver.execute_script(
                "var n = performance.getEntriesByType('navigation')[0]; return [n.loadEventEnd, "
                "document.querySelectorAll('tr.alarm').length, n.responseEnd, n.domInteractive, "
                "n.domContentLoadedEventEnd];")
            if os.environ.get("BENCH_CONSOLE_TIMING"):
                print("navigation timing (ms): response end %.0f, DOM interactive %.0f, DOMContentLoaded end %.0f, "
                      "load end %.0f" % (timing[2], timing[3], timing[4], timing[0]), flush=True)
            times.append((timing[0] / 1000.0, timing[1]))
        return times[1:]  # (the first warms the cache of scripts, as a duty desk's browser has it)
    finally:
        driver.quit()


async def run(args) -> None:
    from hub.access import Scope
    from hub.alarms import AlarmClass, is_change
    from hub.console import ConsoleSettings, Operator, attach_console
    from hub.events import Category
    from hub.journal import JournalCursor
    from hub.kernel import Hub, HubSettings

    data = tempfile.mkdtemp(prefix="bench-console-")
    devices = _devices(args.alarms + args.events)
    settings = HubSettings(
        journal_path=f"{data}/journal.db", devices=devices, grpc_address="127.0.0.1:0", metrics_address=None,
        dedupe_window=0.0, alarm_classes=(AlarmClass(name="panic", priority=1, latch=True,
                                                     categories=frozenset({Category.CATEGORY_PANIC})),))
    hub = Hub(settings)
    operator = Operator("bench", "bench", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "operator",
                        Scope(region_prefixes=("140802",)))
    console = attach_console(hub, ConsoleSettings(
        address="127.0.0.1:0", operators=[operator],
        sites={f"sch-{i:02d}": ("140802", f"学校 {i}") for i in range(20)}))
    await hub.start()
    try:
        cookie = console.app.sessions.start(operator).id
        # -- the queue with A active alarms
        for device in devices[:args.alarms]:
            hub.submit(_panic(device.id), "bench")
        while len(hub.alarms.table) < args.alarms:
            await asyncio.sleep(0.05)
        cold = await asyncio.to_thread(_get, console.port, "/alarms?f=all", cookie)
        print(f"queue page, first render of {args.alarms} rows (nothing cached): {cold * 1000:.1f} ms")
        server = [await asyncio.to_thread(_get, console.port, "/alarms?f=all", cookie) for _ in range(args.loads * 3)]
        p50, p99 = percentile(server, 0.5) * 1000, percentile(server, 0.99) * 1000
        print(f"queue page, {args.alarms} active alarms, server time: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
              f"max {max(server) * 1000:.1f} ms ({len(server)} requests)")
        headline(f"queue page server time p99 ({args.alarms} alarms)", p99, "ms", at_most=200)
        loads = await asyncio.to_thread(_browser_loads, console.url, cookie, args.loads)
        rows = {count for _, count in loads}
        load_times = [seconds * 1000 for seconds, _ in loads]
        print(f"queue page in Chromium, full load: median {statistics.median(load_times):.0f} ms, max "
              f"{max(load_times):.0f} ms, min {min(load_times):.0f} ms ({len(loads)} loads, rows {sorted(rows)})")
        headline(f"queue page full load in Chromium, median ({args.alarms} alarms)", statistics.median(load_times),
                 "ms", at_most=500)

        # -- journal -> SSE push to C consoles
        journaled: dict[int, float] = {}
        watcher = JournalCursor.at(hub.journal, hub.journal.head)

        async def watch() -> None:
            while True:
                entries = await watcher.read()
                now = time.time()
                for entry in entries:
                    if is_change(entry):
                        journaled[entry.seq] = now
                if not entries:
                    await watcher.wait(timeout=1.0)

        watching = asyncio.ensure_future(watch())
        after = hub.journal.head
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--consoles-child", str(console.port), cookie, str(after), str(args.consoles),
            str(args.events), str(args.events / args.rate + 15), stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])})
        while len(console.app.streams) < args.consoles:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        for i, device in enumerate(devices[args.alarms:]):
            await asyncio.sleep(max(0.0, started + i / args.rate - time.monotonic()))
            hub.submit(_panic(device.id), "bench")
        out, _ = await child.communicate()
        watching.cancel()
        seen = json.loads(out)
        latencies = [(received - journaled[seq]) * 1000 for per_console in seen for seq, received in per_console
                     if seq in journaled]
        missing = args.consoles * args.events - len(latencies)
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        print(f"journal -> SSE push, {args.consoles} consoles, {args.events} alarm changes at {args.rate}/s: "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies, default=float('nan')):.1f} ms; "
              f"{len(latencies)} deliveries, {missing} missing")
        headline(f"journal -> SSE push p99 ({args.consoles} consoles)", p99, "ms", at_most=100)
        headline("SSE deliveries missing", missing, "events", at_most=0)
    finally:
        await hub.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--consoles-child"]:
        port, cookie, after, consoles, expected, seconds = argv[1:7]
        asyncio.run(_consoles_main(int(port), cookie, int(after), int(consoles), int(expected), float(seconds)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--alarms", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300, help="alarm changes pushed while the consoles listen")
    parser.add_argument("--rate", type=float, default=20.0, help="panic events per second")
    parser.add_argument("--loads", type=int, default=10, help="page loads in Chromium (x3 plain requests)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: does it still run?")
    args = parser.parse_args(argv)
    if args.quick:
        args.consoles, args.alarms, args.events, args.rate, args.loads = 5, 100, 20, 20.0, 2
    from hub.cli import logs
    from hub.cli.runtime import run as run_reactor

    logs.configure("warning")
    status = run_reactor(lambda: run(args))
    print_result("console")
    return status


if __name__ == "__main__":
    sys.exit(main())
