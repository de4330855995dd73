"""Subscriber side of bench/bench_pipeline.py: N concurrent gRPC subscribers in one process.

Prints one JSON line: per-subscriber counts, first/last receipt times, and latency samples
(receipt time minus the hub's received_at stamp, which is taken when the event is emitted).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from hub.api.grpc.client import HubClient


async def subscriber(target: str, token: str, expect: int, batch: int, delay_ms: int, ready: asyncio.Event,
                     started: list) -> dict:
    latencies: list[float] = []
    count = 0
    first = last = 0.0
    async with HubClient(target, token) as client:
        call = client.subscribe(from_earliest=False, max_batch_size=batch, max_batch_delay_ms=delay_ms,
                                heartbeat_interval_ms=1000)
        async for response in call:
            now = time.time()
            if not started:
                started.append(now)
            ready.set()
            events = response.batch.events
            if not events:
                continue
            if not first:
                first = now
            count += len(events)
            last = now
            # Sample latency from the last event of each batch (the freshest one).
            stamp = events[-1].received_at
            latencies.append(now - (stamp.seconds + stamp.nanos / 1e9))
            if count >= expect:
                call.cancel()
                break
    return {"count": count, "first": first, "last": last, "latencies": latencies}


async def main(args) -> None:
    ready = asyncio.Event()
    started: list = []
    tasks = [asyncio.create_task(subscriber(args.target, args.token, args.expect, args.batch, args.delay_ms,
                                            ready, started)) for _ in range(args.subscribers)]
    await asyncio.wait_for(ready.wait(), 30)
    print("READY", flush=True)
    results = await asyncio.wait_for(asyncio.gather(*tasks), args.timeout)
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300)
    try:
        asyncio.run(main(parser.parse_args()))
    except Exception as exc:
        print(f"client failed: {exc!r}", file=sys.stderr)
        raise
