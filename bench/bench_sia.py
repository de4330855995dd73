"""Benchmark: SIA DC-09 frames received, durably journaled and ACKed over TCP.

Compares our receiver (adapters.sia, Twisted on the asyncio reactor, ACK after journal) with
pysiaalarm's asyncio TCP receiver under the same transmitter load, both journaling every event to
the same durable SQLite journal (WAL, synchronous=FULL, group commit in a writer thread; a stand-in
for the hub journal, which lives on main). pysiaalarm ACKs *before* its callback runs, so it does
less waiting per frame than we do; the comparison is still "same work, same disk".

The load comes from a separate process: C panels, each sending a frame and waiting for its answer
(as real panels do). Two runs per receiver:

- throughput: closed loop, as fast as answers come back -> frames/s;
- latency: open loop at a fixed total rate (default 500 frames/s) -> p50/p99 frame-to-ACK.

Usage: ``.venv/bin/python bench/bench_sia.py [--frames 4000] [--connections 16] [--rate 500]
[--seconds 6] [--quick]``. Prints figures; never part of the test suite.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import pathlib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import hub.reactor  # noqa: E402  (installs the asyncio reactor before anything imports Twisted's)

hub.reactor.install()

import structlog  # noqa: E402

from adapters.sia.frame import Frame, encode_frame  # noqa: E402
from adapters.sia.framer import FrameSplitter  # noqa: E402

ACCOUNT_BASE = 0x1000


# --- a durable journal shared by both receivers -----------------------------------------------------
class BenchJournal:
    """Append-only SQLite journal: group commit of everything queued while the last commit ran."""

    def __init__(self, path: str) -> None:
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._db = self._writer.submit(self._open, path).result()
        self._pending: list[tuple[bytes, asyncio.Future]] = []
        self._flushing = False
        self.sequence = 0
        self.commits = 0

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={os.environ.get('BENCH_SIA_SYNC', 'FULL')}")
        db.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, payload BLOB)")
        return db

    def append(self, payload: bytes) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((payload, future))
        if not self._flushing:
            self._flushing = True
            loop.call_soon(lambda: asyncio.ensure_future(self._flush()))
        return future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            first = self.sequence + 1
            self.sequence += len(batch)
            rows = [(first + i, payload) for i, (payload, _) in enumerate(batch)]
            try:
                await loop.run_in_executor(self._writer, self._commit, rows)
            except Exception as exc:  # noqa: BLE001
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.commits += 1
            for (seq, _), (_, future) in zip(rows, batch):
                if not future.done():
                    future.set_result(seq)
        self._flushing = False

    def _commit(self, rows) -> None:
        with self._db:
            self._db.executemany("INSERT INTO events VALUES (?, ?)", rows)

    def close(self) -> None:
        self._writer.submit(self._db.close).result()
        self._writer.shutdown()


class JournalContext:
    """The adapter SPI backed by :class:`BenchJournal` (what the hub's context does, minus pipeline)."""

    def __init__(self, journal: BenchJournal, devices) -> None:
        from hub.testing import RecordingMetrics

        self.instance = "sia-bench"
        self.devices = devices
        self.journal = journal
        self.metrics = RecordingMetrics()
        self.log = structlog.get_logger("bench").bind(adapter=self.instance)

    def emit(self, event):
        from hub.events import stamp_received

        stamp_received(event)
        return self.journal.append(event.SerializeToString())

    def device_seen(self, device_id): pass
    def device_online(self, device_id, reason=""): pass
    def device_offline(self, device_id, reason): pass
    def device_faulty(self, device_id, reason): pass
    def set_device_facts(self, device_id, facts): pass


# --- receivers --------------------------------------------------------------------------------------
async def start_ours(journal: BenchJournal, accounts: list[str]):
    from adapters.sia.adapter import SiaAdapter
    from adapters.sia.options import SiaDeviceOptions, SiaOptions
    from hub.events import Site
    from hub.spi import DeviceSpec

    devices = [DeviceSpec(id=f"panel-{a}", kind="alarm_panel", adapter="sia-bench",
                          site=Site(region_code="140802", school_id="sch-1"),
                          options=SiaDeviceOptions(account=a)) for a in accounts]
    adapter = SiaAdapter(JournalContext(journal, devices),
                         SiaOptions(host="127.0.0.1", tcp_port=0, max_connections=4096))
    task = asyncio.ensure_future(adapter.run())
    await adapter.ready.wait()

    async def stop():
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    return adapter.tcp_address[1], stop


async def start_pysiaalarm(journal: BenchJournal | None, accounts: list[str]):
    """pysiaalarm's asyncio TCP receiver; its callback journals (or, with no journal, does nothing)."""
    from pysiaalarm import SIAAccount
    from pysiaalarm.aio import CommunicationsProtocol, SIAClient

    async def on_event(event):
        if journal is not None:
            await journal.append(str(event).encode())

    client = SIAClient("127.0.0.1", 0, [SIAAccount(a) for a in accounts], on_event,
                       protocol=CommunicationsProtocol.TCP)
    await client.async_start()
    return client.server.sockets[0].getsockname()[1], client.async_stop


# --- load generator (separate process) --------------------------------------------------------------
async def panel(port: int, account: str, frames: int, period: float | None, latencies: list[float],
                run: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    splitter = FrameSplitter(4106)
    answers: list[bytes] = []
    acked = 0
    start = time.monotonic()
    try:
        for i in range(frames):
            if period is not None:
                delay = start + i * period - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            stamp = time.gmtime()
            ts = __import__("datetime").datetime(*stamp[:6])
            raw = encode_frame(Frame("SIA-DCS", i % 9999 + 1, account=account, receiver="0", prefix="0",
                                     data=f"#{account}|Nri{run}/BA{i % 1000:03d}", timestamp=ts))
            sent = time.monotonic()
            writer.write(raw)
            while not answers:
                data = await reader.read(4096)
                if not data:
                    return acked
                answers += [x for x in splitter.feed(data) if isinstance(x, bytes)]
            answer = answers.pop(0)
            latencies.append(time.monotonic() - sent)
            acked += b'"ACK"' in answer
    finally:
        writer.close()
    return acked


async def loadgen(port: int, connections: int, frames: int, rate: float | None, run: int) -> dict:
    latencies: list[float] = []
    per_panel = frames // connections
    period = connections / rate if rate else None
    start = time.monotonic()
    acked = await asyncio.gather(*(panel(port, f"{ACCOUNT_BASE + c:X}", per_panel, period, latencies, run)
                                   for c in range(connections)))
    elapsed = time.monotonic() - start
    latencies.sort()
    return {
        "frames": per_panel * connections, "acked": sum(acked), "seconds": elapsed,
        "frames_per_s": sum(acked) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None,
    }


async def run_load(port: int, connections: int, frames: int, rate: float | None, run: int) -> dict:
    cmd = [sys.executable, __file__, "loadgen", str(port), str(connections), str(frames), str(rate or 0), str(run)]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE)
    out, _ = await proc.communicate()
    return json.loads(out)


async def bench(args) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    logging.disable(logging.WARNING)
    accounts = [f"{ACCOUNT_BASE + c:X}" for c in range(max(args.connections, args.latency_connections))]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        receivers = (("campus-hub", start_ours, True), ("pysiaalarm", start_pysiaalarm, True),
                     ("pysiaalarm-nojournal", start_pysiaalarm, False))
        for name, start, journaling in receivers:
            journal = BenchJournal(os.path.join(tmp, f"{name}.db"))
            port, stop = await start(journal if journaling else None, accounts)
            try:
                throughput = await run_load(port, args.connections, args.frames, None, run=1)
                latency = await run_load(port, args.latency_connections, int(args.rate * args.seconds), args.rate, run=2)
            finally:
                await stop()
                journal.close()
            results[name] = (throughput, latency, journal.sequence, journal.commits)
            print(f"{name} throughput: {throughput['acked']}/{throughput['frames']} ACKed in "
                  f"{throughput['seconds']:.2f}s = {throughput['frames_per_s']:.0f} frames/s "
                  f"(p50 {throughput['p50_ms']:.2f} ms, p99 {throughput['p99_ms']:.2f} ms, {args.connections} panels)")
            print(f"  at {args.rate:g} frames/s: {latency['acked']}/{latency['frames']} ACKed, achieved "
                  f"{latency['frames_per_s']:.0f}/s, frame-to-ACK p50 {latency['p50_ms']:.2f} ms, "
                  f"p99 {latency['p99_ms']:.2f} ms ({args.latency_connections} panels)")
            print(f"  journal: {journal.sequence} events in {journal.commits} durable commits")
    ours = results["campus-hub"][0]["frames_per_s"]
    for other in ("pysiaalarm", "pysiaalarm-nojournal"):
        print(f"ratio campus-hub / {other} throughput: {ours / results[other][0]['frames_per_s']:.2f}x (target >= 2x)")
    print(f"campus-hub frame-to-ACK p99 at {args.rate:g}/s: {results['campus-hub'][1]['p99_ms']:.2f} ms (target <= 10 ms)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "loadgen":
        port, connections, frames, rate, run = (int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                                                float(sys.argv[5]), int(sys.argv[6]))
        print(json.dumps(asyncio.run(loadgen(port, connections, frames, rate or None, run))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=4000, help="frames in the throughput run")
    parser.add_argument("--connections", type=int, default=16, help="panels in the throughput run")
    parser.add_argument("--rate", type=float, default=500.0, help="frames/s in the latency run")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the latency run")
    parser.add_argument("--latency-connections", type=int, default=50, help="panels in the latency run")
    parser.add_argument("--quick", action="store_true", help="small run (1000 frames, 3 s)")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.seconds = 1000, 3.0
    loop = asyncio.get_event_loop()
    loop.run_until_complete(bench(args))


if __name__ == "__main__":
    main()
