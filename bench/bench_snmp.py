"""SNMP adapter benchmark: trap throughput (v2c, v3 authPriv) and polling 1000 switches.

    python bench/bench_snmp.py traps --count 20000
    python bench/bench_snmp.py poll --switches 1000 --interval 60 --duration 150

``traps``: a sender *process* replays distinct pre-encoded traps (unknown vendor traps, so each one
becomes an event) as fast as it can; we report traps/s turned into journaled events (the
in-memory RecordingContext journal: the kernel's SQLite journal is measured by its own bench) and
how many were lost. Then it paces traps at ``--rate`` and reports trap->journal latency p50/p99.

``poll``: the simulator runs in its own process with N switches (24 ports, a terminal per port);
the adapter polls them all every ``--interval`` seconds (ifOperStatus walk, UPS-less) and reads
their forwarding tables every ``--terminal-interval``, while a sender process paces v2c traps
at ``--rate``. Reported: hub process CPU share, polls done, p99 trap->journal delay.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hub import reactor as hub_reactor  # noqa: E402

hub_reactor.install()

from adapters.snmp import oids  # noqa: E402
from adapters.snmp.adapter import SnmpAdapter  # noqa: E402
from adapters.snmp.options import SnmpDeviceOptions, SnmpOptions  # noqa: E402
from hub.events import Site  # noqa: E402
from hub.spi import DeviceSpec  # noqa: E402
from hub.testing import RecordingContext  # noqa: E402

VENDOR_TRAP = (1, 3, 6, 1, 4, 1, 99999, 0, 1)
STAMP = (1, 3, 6, 1, 4, 1, 99999, 1)  # varbind carrying the sender's send time
SENDER_ADDRESS = "127.0.2.1"
ENGINE_ID = "80001f8880aabbccdd01"
KEYS = ("authpass123", "privpass123")
SITE = Site(region_code="140802", school_id="sch-bench")


# --- the sender process ---------------------------------------------------------------------------
def _v2c_templates(count: int) -> list[bytes]:
    """Distinct v2c traps whose last 20 bytes (the STAMP value) the sender overwrites with its clock.
    (v3 authPriv traps are encrypted and signed, so those are encoded per send.)"""
    from simulators.snmp.agent import SnmpSimulator
    from simulators.snmp.model import SimDevice

    sim = SnmpSimulator([SimDevice("bench", address=SENDER_ADDRESS)])
    device = sim.devices["bench"]
    return [sim.encode_community_trap(device, VENDOR_TRAP, [
        (oids.SYS_UPTIME, ("ticks", i)), (oids.SNMP_TRAP_OID, ("oid", VENDOR_TRAP)),
        (STAMP, ("octets", b"0" * 20))]) for i in range(count)]


def sender(version: str, port: int, total: int, rate: float, ready, done) -> None:
    """Send ``total`` traps to ``port`` (``rate`` per second, 0: as fast as possible)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((SENDER_ADDRESS, 0))
    if version == "v3":
        sent = asyncio.run(_send_v3(port, total, rate, ready))
    else:
        templates = _v2c_templates(256)
        ready.set()
        start = time.perf_counter()
        for i in range(total):
            datagram = templates[i % len(templates)]
            stamp = f"{time.time():020.6f}".encode()
            sock.sendto(datagram[:-20] + stamp, ("127.0.0.1", port))
            if rate:
                delay = start + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            elif i % 64 == 63:
                time.sleep(0.0005)  # let the receiver's socket buffer drain a little
        sent = total
    done.put(sent)


async def _send_v3(port: int, total: int, rate: float, ready) -> int:
    from pysnmp.hlapi.v3arch import asyncio as hlapi
    from pysnmp.proto import rfc1902

    engine = hlapi.SnmpEngine(snmpEngineID=rfc1902.OctetString(hexValue=ENGINE_ID))
    user = hlapi.UsmUserData("bench", *KEYS, authProtocol=hlapi.USM_AUTH_HMAC192_SHA256,
                             privProtocol=hlapi.USM_PRIV_CFB128_AES)
    target = await hlapi.UdpTransportTarget.create(("127.0.0.1", port))
    target.set_local_address((SENDER_ADDRESS, 0))
    ready.set()
    start = time.perf_counter()
    for i in range(total):
        await hlapi.send_notification(
            engine, user, target, hlapi.ContextData(), "trap",
            hlapi.ObjectType(hlapi.ObjectIdentity(oids.SNMP_TRAP_OID), rfc1902.ObjectIdentifier(VENDOR_TRAP)),
            hlapi.ObjectType(hlapi.ObjectIdentity(STAMP), rfc1902.OctetString(f"{time.time():020.6f}")))
        if rate:
            delay = start + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
    return total


# --- the hub side ---------------------------------------------------------------------------------
class LatencyContext(RecordingContext):
    """RecordingContext that keeps only counts and the stamp -> journaled delays (memory-flat)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delays: list[float] = []
        self.journaled = 0
        self.first_at = self.last_at = 0.0

    def emit(self, event):
        future = super().emit(event)
        future.add_done_callback(lambda _f: self._journaled(event))
        return future

    def _journaled(self, event) -> None:
        now = time.time()
        self.journaled += 1
        self.first_at = self.first_at or now
        self.last_at = now
        stamp = event.attributes.get("vb." + oids.format_oid(STAMP))
        if stamp:
            self.delays.append(now - float(stamp))
        self.events.clear()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _trap_sender_device() -> DeviceSpec:
    return DeviceSpec(id="bench-sender", kind="switch", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
        host=SENDER_ADDRESS, engine_id=ENGINE_ID, poll_interval=3600, timeout=0.2, retries=0, interfaces=False))


def _options() -> SnmpOptions:
    return SnmpOptions.model_validate({
        "trap_host": "127.0.0.1", "trap_port": 0, "max_concurrent_polls": 256,
        "users": [{"name": "bench", "auth_key": KEYS[0], "priv_key": KEYS[1], "engine_ids": [ENGINE_ID]}]})


async def _start(ctx) -> tuple[SnmpAdapter, asyncio.Task]:
    adapter = SnmpAdapter(ctx, _options())
    task = asyncio.ensure_future(adapter.run())
    await asyncio.wait_for(adapter.wait_ready(), 60)
    return adapter, task


async def _run_sender(port: int, version: str, total: int, rate: float, processes: int = 1) -> int:
    """Send from ``processes`` sender processes sharing ``total`` and ``rate``; returns traps sent."""
    mp = multiprocessing.get_context("spawn")
    done = mp.Queue()
    workers = []
    for i in range(processes):
        ready = mp.Event()
        share = total // processes + (1 if i < total % processes else 0)
        process = mp.Process(target=sender, args=(version, port, share, rate / processes, ready, done), daemon=True)
        process.start()
        workers.append((process, ready))
    loop = asyncio.get_running_loop()
    for _, ready in workers:
        await loop.run_in_executor(None, ready.wait)
    sent = 0
    for process, _ in workers:
        sent += await loop.run_in_executor(None, done.get)
    for process, _ in workers:
        await loop.run_in_executor(None, process.join)
    return sent


async def _quiet(ctx: LatencyContext, quiet_for: float = 1.0) -> None:
    """Wait until no event was journaled for ``quiet_for`` seconds (the backlog is done)."""
    while True:
        seen = ctx.journaled
        await asyncio.sleep(quiet_for)
        if ctx.journaled == seen:
            return


async def bench_traps(args) -> None:
    for version in args.versions:
        ctx = LatencyContext("snmp", [_trap_sender_device()])
        adapter, task = await _start(ctx)
        count = args.count if version == "v2c" else args.count_v3
        sent = await _run_sender(adapter.trap_port, version, count, 0, args.senders)
        await _quiet(ctx)
        elapsed = max(1e-9, ctx.last_at - ctx.first_at)
        print(f"{version}{' authPriv' if version == 'v3' else ''} burst: sent {sent}, journaled {ctx.journaled} "
              f"({sent - ctx.journaled} lost), {ctx.journaled / elapsed:,.0f} traps/s")
        ctx.delays.clear()
        paced = int(args.rate * args.paced_seconds)
        before = ctx.journaled
        await _run_sender(adapter.trap_port, version, paced, args.rate)
        await _quiet(ctx)
        print(f"{version} paced at {args.rate:.0f}/s: journaled {ctx.journaled - before}/{paced}, trap->journal "
              f"p50 {_percentile(ctx.delays, 0.5) * 1000:.2f} ms, p99 {_percentile(ctx.delays, 0.99) * 1000:.2f} ms")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        ctx.close()


def _start_simulators(args) -> tuple[list[subprocess.Popen], list[tuple[str, int]]]:
    """``--sim-processes`` simulator processes share the switches (one Python agent cannot answer
    1000 switches' walks alone); returns the processes and every switch's (address, port)."""
    processes, endpoints = [], []
    per_process = -(-args.switches // args.sim_processes)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for first in range(0, args.switches, per_process):
        count = min(per_process, args.switches - first)
        port = _free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "simulators.snmp", "--port", str(port), "--switches", str(count), "--upses", "0",
             "--ports", "24", "--macs-per-port", "1", "--first-address", str(_address(first)),
             "--first-index", str(first + 1)],
            stdout=subprocess.PIPE, text=True, cwd=root))
        endpoints += [(str(_address(first + i)), port) for i in range(count)]
    return processes, endpoints


async def bench_poll(args) -> None:
    simulators, endpoints = _start_simulators(args)
    try:
        for simulator in simulators:
            first = await asyncio.get_running_loop().run_in_executor(None, simulator.stdout.readline)
            print(f"simulator: {first.strip()}")
            # keep reading what it prints, or a full pipe would stop it
            threading.Thread(target=simulator.stdout.read, daemon=True).start()
        devices = [_trap_sender_device()]
        for i, (host, port) in enumerate(endpoints):
            devices.append(DeviceSpec(id=f"sw-{i + 1:04d}", kind="switch", adapter="snmp", site=SITE,
                                      options=SnmpDeviceOptions(
                                          host=host, port=port, poll_interval=args.interval, timeout=2, retries=1,
                                          terminals=True, terminal_interval=args.terminal_interval)))
        ctx = LatencyContext("snmp", devices)
        wall_start = time.perf_counter()
        adapter, task = await _start(ctx)
        setup = time.perf_counter() - wall_start
        print(f"adapter ready for {args.switches} switches in {setup:.1f} s")
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        ctx.delays.clear()
        sender_task = asyncio.ensure_future(_run_sender(adapter.trap_port, "v2c", int(args.rate * args.duration),
                                                        args.rate))
        windows = []
        while (elapsed := time.perf_counter() - wall_start) < args.duration - 1e-3:
            window_cpu = time.process_time()
            step = min(args.interval, args.duration - elapsed)
            await asyncio.sleep(step)
            windows.append((time.process_time() - window_cpu) / step * 100)
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        await sender_task
        metrics = ctx.metrics
        print(f"polling {args.switches} switches every {args.interval:.0f} s for {wall:.0f} s: "
              f"hub CPU {cpu / wall * 100:.1f} % of one core; polls ok {metrics.total('snmp_polls', result='ok'):.0f}, "
              f"timeout {metrics.total('snmp_polls', result='timeout'):.0f}, "
              f"error {metrics.total('snmp_polls', result='error'):.0f}; terminals {len(adapter.terminals())}")
        print("hub CPU per polling interval (the first also reads every forwarding table): "
              + ", ".join(f"{share:.1f} %" for share in windows))
        print(f"traps paced at {args.rate:.0f}/s meanwhile: trap->journal p50 {_percentile(ctx.delays, 0.5) * 1000:.2f} ms, "
              f"p99 {_percentile(ctx.delays, 0.99) * 1000:.2f} ms ({len(ctx.delays)} traps)")
        print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        ctx.close()
    finally:
        for simulator in simulators:
            simulator.terminate()
            simulator.wait()


def _address(i: int):
    import ipaddress
    return ipaddress.IPv4Address("127.0.1.1") + i


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.1.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    traps = sub.add_parser("traps")
    traps.add_argument("--count", type=int, default=20000, help="v2c traps in the burst")
    traps.add_argument("--count-v3", type=int, default=3000, help="v3 authPriv traps in the burst")
    traps.add_argument("--rate", type=float, default=200.0, help="paced traps per second for latency")
    traps.add_argument("--paced-seconds", type=float, default=5.0)
    traps.add_argument("--versions", nargs="+", default=["v2c", "v3"], choices=["v2c", "v3"])
    traps.add_argument("--senders", type=int, default=2, help="sender processes in the burst (v3 encoding is slow)")
    poll = sub.add_parser("poll")
    poll.add_argument("--switches", type=int, default=1000)
    poll.add_argument("--interval", type=float, default=60.0)
    poll.add_argument("--terminal-interval", type=float, default=300.0)
    poll.add_argument("--duration", type=float, default=150.0, help="seconds measured (after setup)")
    poll.add_argument("--rate", type=float, default=20.0, help="v2c traps per second during polling")
    poll.add_argument("--sim-processes", type=int, default=4, help="simulator processes sharing the switches")
    args = parser.parse_args()
    run = bench_traps if args.what == "traps" else bench_poll

    from twisted.internet import defer, reactor

    def go():
        deferred = defer.Deferred.fromFuture(asyncio.ensure_future(run(args)))
        deferred.addErrback(lambda failure: failure.printTraceback())
        deferred.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run()


if __name__ == "__main__":
    main()
