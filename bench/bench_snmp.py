"""SNMP adapter benchmark in a real hub: traps journaled (v2c, v3 authPriv) and polling 1000 switches.

    python bench/bench_snmp.py traps --count 20000 --count-v3 3000
    python bench/bench_snmp.py poll --switches 1000 --interval 60 --duration 150

The SNMP adapter runs inside :class:`hub.kernel.Hub` (SQLite journal, durability ``normal``, gRPC API
on loopback), so every trap goes receiver -> adapter -> pipeline -> journal -> gRPC stream. A
subscriber *process* (:class:`hub.api.grpc.client.HubClient`, streaming ``network.trap`` events with the
default batching) times each trap at receipt against the send time the trap carries in a varbind
(same machine, same wall clock). Trap senders and simulators are processes of their own, so this
process's CPU time is the hub's alone.

``traps``: a burst of distinct unknown vendor traps (each becomes a ``network.trap`` event) sent as
fast as possible -> traps/s journaled and delivered, traps lost (a burst faster than the hub
overflows the receiver's socket buffer), hub CPU share while journaling; then traps paced at ``--rate`` ->
trap-to-subscriber delay p50/p99.

``poll``: N simulated switches (24 ports, one terminal per port) in ``--sim-processes``
simulator processes, polled every ``--interval`` s (ifOperStatus walk), forwarding tables read
every ``--terminal-interval`` s, while v2c traps are paced at ``--rate`` -> hub CPU share, polls
ok / timed out, p99 trap-to-subscriber delay under that load, overall and per polling interval
(with how late a 50 ms timer on the hub's loop fired: loop stalls or CPU starvation).

The pipeline's dedupe is off (``dedupe_window=0``): with it, a storm of identical traps from one
device is folded into one event with a repeat count, and we want every trap journaled.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import ipaddress
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
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
from bench.proc import cpu_seconds  # noqa: E402
from bench.results import headline, print_result  # noqa: E402

VENDOR_TRAP = (1, 3, 6, 1, 4, 1, 99999, 0, 1)
STAMP = (1, 3, 6, 1, 4, 1, 99999, 1)  # varbind carrying the sender's send time
STAMP_ATTRIBUTE = "vb." + oids.format_oid(STAMP)
SENDER_ADDRESS = "127.0.200.1"  # outside the simulated switches' 127.0.1.1 and up
ENGINE_ID = "80001f8880aabbccdd01"
KEYS = ("authpass123", "privpass123")
SITE = Site(region_code="140802", school_id="sch-bench")


# --- the trap sender processes --------------------------------------------------------------------
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


# --- the gRPC subscriber process ------------------------------------------------------------------
async def subscriber_main(target: str, token: str) -> None:
    """Stream ``network.trap`` events; print READY once subscribed. For each line N read from stdin,
    wait until N more traps arrived (at most 60 s), then print them as one JSON line: count, first
    and last receipt time, each trap's send time and its send-to-receipt delay."""
    from hub.api.grpc.client import HubClient, make_filter

    received: list[tuple[float, float]] = []  # (receipt time, send time)
    loop = asyncio.get_running_loop()
    async with HubClient(target, token) as client:
        call = client.subscribe(make_filter(types=["network.trap"]), heartbeat_interval_ms=1000)
        responses = call.__aiter__()
        await responses.__anext__()  # the first heartbeat: the stream is open
        print("READY", flush=True)

        async def consume() -> None:
            async for response in responses:
                now = time.time()
                received.extend((now, float(event.attributes.get(STAMP_ATTRIBUTE) or "nan"))
                                for event in response.batch.events)
        consumer = asyncio.create_task(consume())
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            expect, deadline = int(line), time.monotonic() + 60
            while len(received) < expect and time.monotonic() < deadline and not consumer.done():
                await asyncio.sleep(0.02)
            phase, received[:] = received[:expect], received[expect:]
            print(json.dumps({"count": len(phase), "first": phase[0][0] if phase else 0,
                              "last": phase[-1][0] if phase else 0,
                              "sent": [sent for _, sent in phase],
                              "delays": [at - sent for at, sent in phase]}), flush=True)
        call.cancel()
        consumer.cancel()


class SubscriberProcess:
    """The parent's handle on the subscriber process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, grpc_port: int, token: str) -> SubscriberProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), "subscribe", f"127.0.0.1:{grpc_port}", token,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=1 << 26)  # a phase is one long JSON line
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"READY":
            raise RuntimeError(f"subscriber did not start: {line!r}")
        return cls(process)

    async def received(self, expect: int) -> dict:
        """The next ``expect`` traps the subscriber received (fewer if they never came)."""
        self.process.stdin.write(f"{expect}\n".encode())
        await self.process.stdin.drain()
        return json.loads(await self.process.stdout.readline())

    async def close(self) -> None:
        self.process.stdin.close()
        await self.process.wait()


# --- the hub --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Snapshot:
    cpu: float  # this process's CPU seconds and its journal store's
    wall: float
    head: int  # journal head sequence

    @classmethod
    def take(cls, hub) -> Snapshot:
        return cls(time.process_time() + cpu_seconds(hub.journal.store_pid), time.perf_counter(), hub.journal.head)


@dataclasses.dataclass
class BenchHub:
    hub: object
    adapter: SnmpAdapter
    subscriber: SubscriberProcess
    ready: Snapshot  # when the adapter listened and its polling started

    def adapter_count(self, name: str, **labels: str) -> int:
        """An adapter counter (``count``) or the number of observations of a duration (``observe``)."""
        sample = self.hub.metrics.registry.get_sample_value
        if name == "snmp_trap_to_journal":
            return int(sample("campushub_adapter_seconds_count", {"adapter": "snmp", "name": name}) or 0)
        label_text = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        return int(sample("campushub_adapter_events_total", {"adapter": "snmp", "name": name,
                                                             "labels": label_text}) or 0)

    @property
    def journaled_traps(self) -> int:
        return self.adapter_count("snmp_trap_to_journal")

    async def stop(self) -> None:
        await self.subscriber.close()
        await self.hub.stop()


async def start_hub(tmp: str, devices: list[DeviceSpec]) -> BenchHub:
    from hub.kernel import AdapterInstance, Hub, HubSettings
    from hub.cli import interpreter
    from hub.access import Subscriber
    from hub.access import new_token
    from hub.access import Scope

    token, token_sha = new_token()
    options = SnmpOptions.model_validate({
        "trap_host": "127.0.0.1", "trap_port": 0, "max_concurrent_polls": 256,
        "users": [{"name": "bench", "auth_key": KEYS[0], "priv_key": KEYS[1], "engine_ids": [ENGINE_ID]}]})
    hub = Hub(HubSettings(
        journal_path=os.path.join(tmp, "journal.db"), durability="normal", devices=devices,
        adapters=[AdapterInstance("snmp", SnmpAdapter, options)],
        subscribers=[Subscriber("bench", token_sha, Scope(all_regions=True))],
        grpc_address="127.0.0.1:0", metrics_address=None, dedupe_window=0))
    interpreter.tune_for_hub()  # as campus-hub run does
    await hub.start()
    interpreter.freeze_startup_objects()
    # the subscriber starts meanwhile, so no polling happens before measuring starts
    subscriber = asyncio.ensure_future(SubscriberProcess.start(hub.grpc_port, token))
    while (adapter := hub.adapter("snmp")) is None:  # the supervisor builds it on its first loop turn
        await asyncio.sleep(0.01)
    await asyncio.wait_for(adapter.wait_ready(), 120)
    ready = Snapshot.take(hub)
    return BenchHub(hub, adapter, await subscriber, ready)


def _trap_sender_device() -> DeviceSpec:
    return DeviceSpec(id="bench-sender", kind="switch", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
        host=SENDER_ADDRESS, engine_id=ENGINE_ID, poll_interval=3600, timeout=0.2, retries=0, interfaces=False))


async def _journaling_window(bench: BenchHub, work: asyncio.Future, quiet_for: float = 1.0) -> tuple[Snapshot, Snapshot]:
    """Watch the journal while ``work`` runs and until, after it, nothing waited for the journal and
    its head stood still for ``quiet_for`` seconds (a commit can take over a second in a trap
    storm); returns snapshots taken when the first and the last event were journaled. (The head, not the metrics
    registry: collecting that 50 times a second would cost the hub a quarter of a core.)"""
    journal = bench.hub.journal
    first = last = None
    seen = journal.head
    busy_at = time.perf_counter()
    while not work.done() or time.perf_counter() - busy_at < quiet_for:
        await asyncio.sleep(0.02)
        now, head = time.perf_counter(), journal.head
        if head != seen or journal._pending:
            busy_at = now
        if head != seen:
            last, seen = Snapshot.take(bench.hub), head
            first = first or last
    await work
    if first is None:
        raise RuntimeError("nothing was journaled")
    return first, last


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _delays(delays: list[float]) -> str:
    return (f"trap->subscriber p50 {_percentile(delays, 0.5) * 1000:.1f} ms, p99 {_percentile(delays, 0.99) * 1000:.1f} "
            f"ms, max {max(delays, default=float('nan')) * 1000:.1f} ms ({len(delays)} traps)")


@dataclasses.dataclass
class TrapPhase:
    sent: int
    journaled: int
    received: dict  # the subscriber's report
    journal_rate: float  # traps/s from the first to the last one journaled
    hub_cpu: float  # % of one core the hub process used meanwhile


async def _trap_phase(bench: BenchHub, version: str, total: int, rate: float, senders: int) -> TrapPhase:
    """Send, wait until journaling stops, collect what the subscriber got."""
    before = bench.journaled_traps
    work = asyncio.ensure_future(_run_sender(bench.adapter.trap_port, version, total, rate, senders))
    first, last = await _journaling_window(bench, work)
    journaled = bench.journaled_traps - before
    wall = max(1e-9, last.wall - first.wall)
    return TrapPhase(work.result(), journaled, await bench.subscriber.received(journaled),
                     (last.head - first.head) / wall, (last.cpu - first.cpu) / wall * 100)


async def bench_traps(args) -> None:
    for version in args.versions:
        with tempfile.TemporaryDirectory() as tmp:
            bench = await start_hub(tmp, [_trap_sender_device()])
            try:
                name = "v3 authPriv" if version == "v3" else version
                count = args.count if version == "v2c" else args.count_v3
                burst = await _trap_phase(bench, version, count, 0, args.senders)
                received = burst.received
                delivered_for = max(1e-9, received["last"] - received["first"])
                print(f"{name} burst: sent {burst.sent}, journaled {burst.journaled} ({burst.sent - burst.journaled} "
                      f"lost) at {burst.journal_rate:,.0f} traps/s; subscriber received {received['count']} at "
                      f"{received['count'] / delivered_for:,.0f}/s; hub CPU meanwhile {burst.hub_cpu:.0f} % of one core",
                      flush=True)
                headline(f"{name} traps journaled (burst)", burst.journal_rate, "traps/s")
                headline(f"{name} traps lost (burst)", burst.sent - burst.journaled, "traps")
                paced = await _trap_phase(bench, version, int(args.rate * args.paced_seconds), args.rate, 1)
                print(f"{name} paced at {args.rate:.0f}/s: journaled {paced.journaled}/{paced.sent}, "
                      f"{_delays(paced.received['delays'])}; hub CPU {paced.hub_cpu:.0f} %", flush=True)
                headline(f"{name} trap -> subscriber p99 at {args.rate:.0f}/s",
                         _percentile(paced.received["delays"], 0.99) * 1000, "ms")
            finally:
                await bench.stop()


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
        with tempfile.TemporaryDirectory() as tmp:
            wall_start = time.perf_counter()
            bench = await start_hub(tmp, devices)
            print(f"adapter ready for {args.switches} switches {bench.ready.wall - wall_start:.1f} s after the hub "
                  "was built; measuring from then", flush=True)
            try:
                await _measure_polling(bench, args)
            finally:
                await bench.stop()
    finally:
        for simulator in simulators:
            simulator.terminate()
            simulator.wait()


POLL_RESULTS = ("ok", "timeout", "error")


async def _loop_lag(lags: list[tuple[float, float]], period: float = 0.05) -> None:
    """Record (when, how late) a timer on the hub's loop fired: stalls of the loop, or of the
    process waiting for a CPU on a busy machine."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(period)
        lags.append((asked, time.perf_counter() - asked - period))


async def _measure_polling(bench: BenchHub, args) -> None:
    start = bench.ready
    epoch_start = time.time() - (time.perf_counter() - start.wall)
    traps_before = bench.journaled_traps
    sender_task = asyncio.ensure_future(_run_sender(bench.adapter.trap_port, "v2c", int(args.rate * args.duration),
                                                    args.rate))
    lags: list[tuple[float, float]] = []
    lag_task = asyncio.ensure_future(_loop_lag(lags))
    windows, window_start = [], start
    polls_before = dict.fromkeys(POLL_RESULTS, 0)  # polling starts when the adapter is ready
    while window_start.wall - start.wall < args.duration - 1e-3:
        end = min(window_start.wall + args.interval, start.wall + args.duration)
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        window_end = Snapshot.take(bench.hub)
        polls = {result: bench.adapter_count("snmp_polls", result=result) for result in POLL_RESULTS}
        windows.append({
            "cpu": (window_end.cpu - window_start.cpu) / (window_end.wall - window_start.wall) * 100,
            "polls": {result: polls[result] - polls_before[result] for result in POLL_RESULTS},
            "lags": [lag for at, lag in lags if window_start.wall <= at < window_end.wall]})
        window_start, polls_before = window_end, polls
    lag_task.cancel()
    cpu, wall, events = window_start.cpu - start.cpu, window_start.wall - start.wall, window_start.head - start.head
    sent = await sender_task
    await asyncio.sleep(1)  # the last paced traps reach the journal
    journaled = bench.journaled_traps - traps_before
    received = await bench.subscriber.received(journaled)
    print(f"polling {args.switches} switches every {args.interval:.0f} s for {wall:.0f} s: "
          f"hub process CPU {cpu / wall * 100:.1f} % of one core; polls ok {polls['ok']}, "
          f"timeout {polls['timeout']} (one is the trap sender's: it runs no agent), error {polls['error']}; "
          f"terminals {len(bench.adapter.terminals())}; events journaled {events}")
    headline(f"hub CPU polling {args.switches} switches every {args.interval:.0f} s", cpu / wall * 100, "% of a core")
    headline("polls timed out", polls["timeout"], "polls")
    headline("trap -> subscriber p99 while polling", _percentile(received["delays"], 0.99) * 1000, "ms")
    print(f"v2c traps paced at {args.rate:.0f}/s meanwhile: journaled {journaled}/{sent}, {_delays(received['delays'])}")
    by_window: dict[int, list[float]] = {}
    for sent_at, delay in zip(received["sent"], received["delays"]):
        by_window.setdefault(int((sent_at - epoch_start) // args.interval), []).append(delay)
    print("per polling interval (the first also reads every forwarding table):")
    for i, window in enumerate(windows):
        polls = window["polls"]
        print(f"  {i + 1}: hub CPU {window['cpu']:.1f} %, polls ok {polls['ok']} timeout {polls['timeout']} "
              f"error {polls['error']}, hub loop timer late p99 {_percentile(window['lags'], 0.99) * 1000:.0f} ms "
              f"max {max(window['lags'], default=float('nan')) * 1000:.0f} ms; {_delays(by_window.get(i, []))}")


def _address(i: int):
    return ipaddress.IPv4Address("127.0.1.1") + i


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.1.1", 0))
        return sock.getsockname()[1]


async def main(args) -> None:
    import logging

    from hub.cli import logs

    logs.configure("error")
    logging.disable(logging.WARNING)
    print(f"campus-hub SNMP benchmark on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
          flush=True)
    await (bench_traps if args.what == "traps" else bench_poll)(args)
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print_result(f"snmp {args.what}")


def parse_args() -> argparse.Namespace:
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
    subscribe = sub.add_parser("subscribe", help="(internal) the gRPC subscriber process")
    subscribe.add_argument("target")
    subscribe.add_argument("token")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.what == "subscribe":
        asyncio.run(subscriber_main(arguments.target, arguments.token))
    else:
        from hub.cli.runtime import run

        sys.exit(run(lambda: main(arguments)))
