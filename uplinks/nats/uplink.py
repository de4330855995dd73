"""The NATS JetStream uplink: publishes this hub's journal and, at an upper level, journals the
region's events from the hubs below (see uplinks/nats/__init__.py)."""
from __future__ import annotations

import asyncio

from hub.spi import Uplink, raise_if_cancelling
from uplinks.nats._connect import connect
from uplinks.nats._ingest import Ingester
from uplinks.nats._options import NatsOptions
from uplinks.nats._publisher import Publisher
from uplinks.nats._streams import ensure_streams
from uplinks.nats._subjects import LANES

__all__ = ["NatsUplink"]


class NatsUplink(Uplink):
    Options = NatsOptions

    def __init__(self, ctx, options: NatsOptions) -> None:
        super().__init__(ctx, options)
        # Built before connecting, so the backlog is reported while the server is unreachable.
        self.publishers = [
            Publisher(None, ctx.journal, instance=ctx.instance, hub_id=ctx.hub_id, prefix=options.subject_prefix,
                      lane=lane, region=options.region or "", window=options.window,
                      ack_timeout=options.ack_timeout, metrics=ctx.metrics, log=ctx.log)
            for lane in LANES] if options.publish else []
        self.ingesters: list[Ingester] = []
        self.connection = None

    def status(self) -> dict[str, object]:
        return {"connected": bool(self.connection and self.connection.is_connected),
                "backlog": max((p.backlog for p in self.publishers), default=0),
                "published": sum(p.published for p in self.publishers),
                "ingested": sum(i.ingested for i in self.ingesters)}

    async def run(self) -> None:
        options, ctx = self.options, self.ctx
        self.connection = await connect(options, f"campus-hub {ctx.hub_id} ({ctx.instance})", ctx.log)
        try:
            js = self.connection.jetstream(timeout=options.ack_timeout)
            for line in await ensure_streams(js, options.subject_prefix, options.streams):
                ctx.log.info(line)
            raise_if_cancelling()  # (nats-py's requests may have swallowed a stop)
            streams = {"alarm": options.streams.alarm_stream, "event": options.streams.event_stream}
            tasks = []
            for publisher in self.publishers:
                publisher.js = js
                tasks.append(publisher.run())
            if options.ingest is not None:
                ingest = options.ingest
                for lane in LANES:
                    ingester = Ingester(js, ctx.journal, ctx.forward, instance=ctx.instance,
                                        prefix=options.subject_prefix, lane=lane, stream=streams[lane],
                                        region_prefix=ingest.region_prefix, origins=ingest.origins,
                                        durable=ingest.durable or _durable_name(ctx.hub_id), batch=ingest.batch,
                                        ack_wait=ingest.ack_wait, metrics=ctx.metrics, log=ctx.log)
                    self.ingesters.append(ingester)
                    tasks.append(ingester.run())
            if not tasks:
                await asyncio.Event().wait()
            # One failing task fails the uplink: the supervisor restarts all of it.
            await _first_failure([asyncio.ensure_future(task) for task in tasks])
        finally:
            try:
                async with asyncio.timeout(2.0):  # (not wait_for: it can swallow a stop, gh-86296)
                    await self.connection.close()
            except Exception:  # closing a broken connection: nothing more to do
                pass


def _durable_name(hub_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in hub_id)[:60] or "hub"


async def _first_failure(tasks: list[asyncio.Future]) -> None:
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
