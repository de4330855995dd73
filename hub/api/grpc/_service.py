"""EventHubService: subscriptions, devices and terminals, each scoped to the caller."""
from __future__ import annotations

import collections
import importlib.metadata
import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import grpc
import structlog

from campushub.v1 import event_hub_service_pb2 as pb
from hub.access import Authenticator, FilterError, ScopeError, Subscriber, select
from hub.api.grpc._streams import StreamOptions, stream_batches
from hub.events import category_name, set_timestamp
from hub.journal import Journal, JournalCursor, RetentionExceeded
from hub.spi import TerminalInventorySource

if TYPE_CHECKING:
    from hub.kernel import DeviceRegistry, HubMetrics

log = structlog.get_logger("api")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EventHubService"].full_name
DEFAULT_BATCH, MAX_BATCH = 500, 5000
DEFAULT_DELAY_MS, MAX_DELAY_MS = 5, 5000
MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS = 1000, 600_000


class EventHubService:
    def __init__(self, journal: Journal, registry: DeviceRegistry, authenticator: Authenticator,
                 metrics: HubMetrics, max_subscribers: int = 256,
                 inventories: Callable[[], Iterable[TerminalInventorySource]] = tuple,
                 hub_id: str = "campus-hub") -> None:
        self.hub_id = hub_id
        self.inventories = inventories
        self.journal = journal
        self.registry = registry
        self.authenticator = authenticator
        self.metrics = metrics
        self.max_subscribers = max_subscribers
        self.open_streams = 0
        self._stream_numbers = itertools.count(1)

    def school_regions(self) -> dict[str, str]:
        return {e.spec.site.school_id: e.spec.site.region_code for e in self.registry}

    async def caller(self, context) -> Subscriber:
        subscriber = self.authenticator.authenticate(context.invocation_metadata())
        if subscriber is None:
            self.metrics.auth_failures.labels("token").inc()
            log.warning("API call rejected: missing or wrong bearer token", peer=context.peer())
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                "missing or invalid token: send metadata 'authorization: Bearer <token>'")
        return subscriber

    async def selection(self, subscriber: Subscriber, event_filter, context):
        try:
            return select(subscriber.scope, event_filter, self.school_regions())
        except FilterError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ScopeError as exc:
            self.metrics.auth_failures.labels("scope").inc()
            log.warning("API call rejected: filter outside scope", subscriber=subscriber.id, error=str(exc))
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))

    # --- Subscribe -----------------------------------------------------------------------------
    async def Subscribe(self, request: pb.SubscribeRequest, context):
        subscriber = await self.caller(context)
        selection = await self.selection(subscriber, request.filter, context)
        options = await self._stream_options(request, context)
        after = await self._start_after(request, context)
        if self.open_streams >= self.max_subscribers:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"this hub serves at most {self.max_subscribers} streams; try again later")
        stream_id = str(next(self._stream_numbers))  # with the subscriber label: which of its streams
        lag = self.metrics.subscriber_lag.labels(subscriber.id, stream_id)
        events_out = self.metrics.events_out

        out_by_category: dict[int, object] = {}

        def on_batch(cursor: int, count: int, categories: list[int]) -> None:
            lag.set(self.journal.head - cursor)
            for category, n in collections.Counter(categories).items():
                child = out_by_category.get(category)
                if child is None:
                    child = out_by_category[category] = events_out.labels(subscriber.id, category_name(category))
                child.inc(n)

        self.open_streams += 1
        self.metrics.subscribers.set(self.open_streams)
        log.info("subscriber connected", subscriber=subscriber.id, after_sequence=after,
                 peer=context.peer(), max_batch=options.max_batch_size)
        try:
            match = None if selection.selects_everything else selection.matcher()
            async for response in stream_batches(self.journal, match, after, options, on_batch):
                yield response
        except RetentionExceeded as exc:
            log.warning("subscriber fell behind retention", subscriber=subscriber.id, error=str(exc))
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, str(exc))
        finally:
            self.open_streams -= 1
            self.metrics.subscribers.set(self.open_streams)
            self.metrics.subscriber_lag.remove(subscriber.id, stream_id)
            log.info("subscriber disconnected", subscriber=subscriber.id)

    async def _stream_options(self, request, context) -> StreamOptions:
        batch = request.max_batch_size or DEFAULT_BATCH
        delay_ms = request.max_batch_delay_ms or DEFAULT_DELAY_MS
        heartbeat_ms = request.heartbeat_interval_ms
        problems = []
        if not 1 <= batch <= MAX_BATCH:
            problems.append(f"max_batch_size must be 1..{MAX_BATCH} (0 = {DEFAULT_BATCH}), got {batch}")
        if delay_ms > MAX_DELAY_MS:
            problems.append(f"max_batch_delay_ms must be 0..{MAX_DELAY_MS}, got {delay_ms}")
        if heartbeat_ms and not MIN_HEARTBEAT_MS <= heartbeat_ms <= MAX_HEARTBEAT_MS:
            problems.append(f"heartbeat_interval_ms must be 0 (off) or {MIN_HEARTBEAT_MS}..{MAX_HEARTBEAT_MS}, "
                            f"got {heartbeat_ms}")
        if problems:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems))
        return StreamOptions(batch, delay_ms / 1000, heartbeat_ms / 1000 if heartbeat_ms else None)

    async def _start_after(self, request, context) -> int:
        start = request.WhichOneof("start")
        if start == "from_earliest":
            return self.journal.earliest - 1
        if start == "after_sequence":
            after = request.after_sequence
            problem = resume_problem(self.journal, after, "after_sequence", "resume from_earliest")
            if problem:
                await context.abort(grpc.StatusCode.OUT_OF_RANGE, problem)
            return after
        return self.journal.head

    # --- devices -------------------------------------------------------------------------------
    async def ListDevices(self, request: pb.ListDevicesRequest, context) -> pb.ListDevicesResponse:
        subscriber = await self.caller(context)
        selection = await self.selection(subscriber, request.filter, context)
        in_place = selection.place_matcher()
        response = pb.ListDevicesResponse()
        for entry in self.registry:
            site = entry.spec.site
            if in_place(site.region_code, site.school_id, entry.spec.id):
                response.devices.append(entry.to_proto())
        return response

    async def GetDevice(self, request: pb.GetDeviceRequest, context) -> pb.GetDeviceResponse:
        subscriber = await self.caller(context)
        entry = self.registry.get(request.device_id)
        in_place = select(subscriber.scope, None, {}).place_matcher()
        if entry is None or not in_place(entry.spec.site.region_code, entry.spec.site.school_id, entry.spec.id):
            # Out-of-scope devices look absent, so ids of other jurisdictions don't leak.
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no device {request.device_id!r} in your scope")
        return pb.GetDeviceResponse(device=entry.to_proto())


    async def ListTerminals(self, request: pb.ListTerminalsRequest, context) -> pb.ListTerminalsResponse:
        subscriber = await self.caller(context)
        selection = await self.selection(subscriber, request.filter, context)
        in_place = selection.place_matcher()
        response = pb.ListTerminalsResponse()
        for source in self.inventories():
            for row in source.terminals():
                switch = self.registry.get(row.switch)
                site = switch.spec.site if switch is not None else None
                if site is None or not in_place(site.region_code, site.school_id, row.switch):
                    continue
                terminal = response.terminals.add(mac=row.mac, switch_device_id=row.switch, if_index=row.port,
                                                  fdb_id=row.fdb_id or 0)
                set_timestamp(terminal.first_seen, row.first_seen)
                set_timestamp(terminal.last_seen, row.last_seen)
                terminal.site.CopyFrom(site)
        return response

    # --- the hub itself -----------------------------------------------------------------------
    async def GetHubInfo(self, request: pb.GetHubInfoRequest, context) -> pb.GetHubInfoResponse:
        subscriber = await self.caller(context)
        in_place = select(subscriber.scope, None, {}).place_matcher()
        regions, schools = set(), set()
        for entry in self.registry:
            site = entry.spec.site
            if in_place(site.region_code, site.school_id, entry.spec.id):
                regions.add(site.region_code)
                schools.add(site.school_id)
        return pb.GetHubInfoResponse(
            hub_id=self.hub_id, version=_VERSION, region_codes=sorted(regions), school_ids=sorted(schools),
            head_sequence=self.journal.head, earliest_sequence=self.journal.earliest)


def resume_problem(journal: Journal, after: int, field: str, remedy: str) -> str | None:
    """Why a stream cannot resume after sequence ``after`` (OUT_OF_RANGE), or None."""
    if after > journal.head:
        return (f"{field} {after} is ahead of this hub's newest sequence {journal.head}; was the journal "
                f"replaced? {remedy}")
    try:
        JournalCursor.at(journal, after).check_retained()
    except RetentionExceeded as exc:
        return str(exc)
    return None


def _version() -> str:
    try:
        return importlib.metadata.version("campus-hub")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


_VERSION = _version()
