"""The hub: a Twisted service tree of journal, pipeline, adapters, gRPC, HTTP and retention."""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import structlog
from twisted.application import service
from twisted.application.internet import TimerService
from twisted.internet.defer import Deferred

from hub.access import Authenticator, Subscriber
from hub.alarms import AlarmClass, AlarmOverride, AlarmProjection, KpiCollector
from hub.api.grpc import AlarmApi, EventHubService, GrpcService
from hub.api.grpc._device_commands import SERVICE_NAME as COMMAND_SERVICE_NAME
from hub.api.grpc._device_commands import DeviceCommandApi
from hub.api.grpc._media import SERVICE_NAME as MEDIA_SERVICE_NAME
from hub.api.grpc._media import MediaApi
from hub.api.grpc._reports import SERVICE_NAME as REPORT_SERVICE_NAME
from hub.api.grpc._ledger import SERVICE_NAME as LEDGER_SERVICE_NAME
from hub.api.grpc._ledger import LedgerApi
from hub.api.grpc._reports import ReportApi
from hub.api.http import HttpService
from hub.events import DeviceState, Event
from hub.journal import Journal
from hub.linkage import Coverage, PanelCommandRunner, build_linkage, media_store_for
from hub.kernel._context import DeviceStates, HubAdapterContext
from hub.kernel._metrics import HubMetrics
from hub.kernel._pipeline import Pipeline
from hub.kernel._registry import STATE_NAMES, DeviceRegistry
from hub.kernel._supervisor import AdapterService
from hub.kernel._uplinks import HubUplinkContext, UplinkInstance, UplinkService
from hub.ledger import FilePhotoStore, LedgerProjection, LedgerSettings, MediaPhotoStore
from hub.reports import ReportProjection, ReportSettings
from hub.reports._metrics import ReportMetrics
from hub.spi import Adapter, DeviceSpec, TerminalInventorySource

log = structlog.get_logger("hub")


@dataclasses.dataclass(frozen=True)
class AdapterInstance:
    name: str
    cls: type[Adapter]
    options: object


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    cert_file: str
    key_file: str


@dataclasses.dataclass
class HubSettings:
    """Everything a hub is built from; `hub.config` produces it from YAML."""

    journal_path: str
    hub_id: str = "campus-hub"
    devices: Sequence[DeviceSpec] = ()
    adapters: Sequence[AdapterInstance] = ()
    #: Links to other hubs (hub.spi.Uplink plugins, e.g. NATS federation); none: a standalone hub.
    uplinks: Sequence[UplinkInstance] = ()
    subscribers: Sequence[Subscriber] = ()
    durability: str = "normal"
    max_events_per_commit: int = 5000
    tail_cache_events: int = 200_000
    max_age: float | None = 30 * 86400
    max_bytes: int | None = 2 << 30
    retention_interval: float = 60.0
    dedupe_window: float = 10.0
    grpc_address: str = "127.0.0.1:50051"
    tls: TlsFiles | None = None
    max_subscribers: int = 256
    metrics_address: str | None = "127.0.0.1:9464"
    blocking_threads: int = 16
    adapter_initial_backoff: float = 1.0
    adapter_max_backoff: float = 60.0
    #: Which events are alarms (hub.alarms.AlarmClass, first match wins); none: no alarms.
    alarm_classes: Sequence[AlarmClass] = ()
    #: Alarm settings overridden per region, school, building or device (hub.alarms.AlarmOverride).
    alarm_overrides: Sequence[AlarmOverride] = ()
    #: How often alarm timers (escalation, auto-acknowledge, shelving) are looked at; None: never.
    alarm_tick_interval: float | None = 1.0
    #: The time alarms are decided at (None: time.time; tests pass their own).
    alarm_clock: Callable[[], float] | None = None
    #: Reports (hub.reports): None runs none (no census is journaled).
    reports: ReportSettings | None = None
    #: The hazard ledger (hub.ledger): None keeps none; it needs reports for its time-driven entries.
    ledger: LedgerSettings | None = None
    #: The clock reports and the ledger use (None: time.time; tests pass their own).
    reports_clock: Callable[[], float] | None = None
    #: The clock adapter restarts wait on (None: the reactor; tests pass a task.Clock).
    clock: object = None
    #: Linkage rules (hub.linkage.Rule) and which cameras cover which places (hub.linkage.Coverage).
    linkage_rules: Sequence[object] = ()
    coverage: object = None
    #: The media store: a directory (None: media/ beside the journal) and its limits.
    media_path: str | None = None
    media_max_age: float = 30 * 86400
    media_max_bytes: int = 2 << 30
    media_max_item_bytes: int = 5 << 20


@runtime_checkable
class StartsAsync(Protocol):
    """A child service whose start and stop are awaited (opening a journal, binding a gRPC port):
    Twisted's startService cannot wait for them."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class JournalService(service.Service):
    name = "journal"

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def start(self) -> None:
        await self.journal.open()
        self.startService()

    async def stop(self) -> None:
        self.stopService()
        await self.journal.close()


class PipelineService(service.Service):
    name = "pipeline"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def start(self) -> None:
        self.pipeline.start()
        self.startService()

    async def stop(self) -> None:
        """Fold what dedupe holds into the journal (the journal, stopped after, commits it)."""
        self.stopService()
        await self.pipeline.stop()


class RetentionService(TimerService):
    """Applies the journal's age and size limits every ``interval`` seconds."""

    name = "retention"

    def __init__(self, journal: Journal, interval: float) -> None:
        super().__init__(interval, self._apply)
        self.journal = journal

    def _apply(self) -> Deferred:
        return Deferred.fromFuture(asyncio.ensure_future(self._apply_once()))

    async def _apply_once(self) -> None:
        try:
            await self.journal.apply_retention()
        except Exception:  # a failure must not stop the timer: the next round retries
            log.exception("journal retention failed; will retry")


class Hub(service.MultiService):
    """The hub's service tree. Children start in order, each awaited before the next, and stop in
    reverse order: journal, pipeline, alarms, linkage, adapters (one AdapterService each), uplinks, gRPC, HTTP,
    retention.
    A new subsystem joins as a child (``setServiceParent``) before ``start``."""

    def __init__(self, settings: HubSettings) -> None:
        super().__init__()
        self.settings = settings
        self.metrics = HubMetrics()
        self.registry = DeviceRegistry(settings.devices)
        self.journal = Journal(
            settings.journal_path, durability=settings.durability,
            max_events_per_commit=settings.max_events_per_commit, tail_cache_events=settings.tail_cache_events,
            max_age=settings.max_age, max_bytes=settings.max_bytes, metrics=self.metrics)
        self.pipeline = Pipeline(self.registry, self.journal, self.metrics, settings.dedupe_window)
        self.device_states = DeviceStates(self.registry, self.pipeline.submit, self._update_device_gauges)
        self.blocking_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.blocking_threads, thread_name_prefix="adapter-blocking")
        self.api = EventHubService(self.journal, self.registry, Authenticator(settings.subscribers),
                                   self.metrics, settings.max_subscribers, self.terminal_inventories,
                                   hub_id=settings.hub_id)
        JournalService(self.journal).setServiceParent(self)
        PipelineService(self.pipeline).setServiceParent(self)
        self.alarms = AlarmProjection(
            self.journal, self.pipeline.submit, settings.alarm_classes, clock=settings.alarm_clock or time.time,
            tick_interval=settings.alarm_tick_interval, overrides=settings.alarm_overrides)
        self.alarms.setServiceParent(self)
        self.metrics.registry.register(KpiCollector(
            lambda: self.alarms.kpis, lambda: self.alarms.table.values(), self.alarms.clock))
        self.media = media_store_for(settings)
        self.linkage = build_linkage(self, settings.linkage_rules, settings.coverage or Coverage(), self.media)
        self.linkage.setServiceParent(self)
        self.reports = None
        if settings.reports is not None:
            self.reports = ReportProjection(self.journal, self.pipeline.submit, self.registry, settings.reports,
                                            settings.hub_id, clock=settings.reports_clock or time.time,
                                            snapshot_every=settings.reports.snapshot_every)
            self.reports.setServiceParent(self)
        self.ledger = None
        if settings.ledger is not None:
            earlier = FilePhotoStore(settings.ledger.photo_dir, settings.ledger.photo_max_bytes)
            self.ledger = LedgerProjection(self.journal, self.pipeline.submit, settings.ledger, self.reports,
                                           MediaPhotoStore(self.media, settings.ledger.photo_max_bytes, earlier),
                                           clock=settings.reports_clock or time.time,
                                           snapshot_every=settings.ledger.snapshot_every)
            self.ledger.setServiceParent(self)
        for instance in settings.adapters:
            AdapterService(
                instance.name, self._builder(instance),
                on_restart=self.metrics.adapter_restarts.labels(instance.name).inc,
                initial_backoff=settings.adapter_initial_backoff, max_backoff=settings.adapter_max_backoff,
                clock=settings.clock,
            ).setServiceParent(self)
        for uplink in settings.uplinks:
            UplinkService(
                uplink.name, self._uplink_builder(uplink),
                on_restart=self.metrics.adapter_restarts.labels(f"uplink:{uplink.name}").inc,
                initial_backoff=settings.adapter_initial_backoff, max_backoff=settings.adapter_max_backoff,
                clock=settings.clock,
            ).setServiceParent(self)
        media_api = MediaApi(self.api, self.media, self.linkage.run_blocking)
        self.grpc = GrpcService(self.api, settings.grpc_address, settings.tls, AlarmApi(self.api, self.alarms),
                                more=[(MEDIA_SERVICE_NAME, media_api.handlers())])
        commands = PanelCommandRunner(self.linkage.engine.actions, self.pipeline.submit, audit=self.alarms.record,
                                      site_of=self._site_of)
        self.grpc.add_service(COMMAND_SERVICE_NAME, DeviceCommandApi(self.api, self.registry, commands).handlers())
        if self.reports is not None or self.ledger is not None:
            self.report_metrics = ReportMetrics(self.metrics.registry, self.reports,
                                                self.ledger.entries if self.ledger is not None else None)
        if self.reports is not None:
            self.grpc.add_service(REPORT_SERVICE_NAME,
                                  ReportApi(self.api, self.reports, self.report_metrics.refused).handlers())
        if self.ledger is not None:
            self.grpc.add_service(LEDGER_SERVICE_NAME,
                                  LedgerApi(self.api, self.ledger, self.report_metrics.refused).handlers())
        self.grpc.setServiceParent(self)
        self.http = (HttpService(settings.metrics_address, self.metrics.registry, media=self.media)
                     if settings.metrics_address else None)
        if self.http is not None:
            self.http.setServiceParent(self)
        if settings.max_age or settings.max_bytes:
            RetentionService(self.journal, settings.retention_interval).setServiceParent(self)
        self._started: list[service.IService] = []
        self._stopping: asyncio.Future[None] | None = None

    def _site_of(self, device_id: str) -> tuple[str, str] | None:
        """A configured device's (region, school); None for an id no device has."""
        entry = self.registry.get(device_id)
        return None if entry is None else (entry.spec.site.region_code, entry.spec.site.school_id)

    def _builder(self, instance: AdapterInstance):
        def build() -> Adapter:
            context = HubAdapterContext(
                instance.name, self.registry.for_adapter(instance.name), self.pipeline.submit,
                self.device_states, self.metrics.for_adapter(instance.name), self.blocking_pool, self.journal)
            return instance.cls(context, instance.options)
        return build

    def _uplink_builder(self, instance: UplinkInstance):
        def forward(event: Event) -> asyncio.Future[int]:
            return self.pipeline.submit_forwarded(event, f"uplink:{instance.name}")

        def build():
            context = HubUplinkContext(instance.name, self.settings.hub_id, self.journal, forward,
                                       self.metrics.for_adapter(f"uplink:{instance.name}"))
            return instance.cls(context, instance.options)
        return build

    def uplink(self, name: str):
        """The running uplink object of an instance (None while it is restarting)."""
        return self.getServiceNamed(f"uplink:{name}").running_uplink

    @property
    def grpc_port(self) -> int | None:
        return self.grpc.port

    @property
    def metrics_port(self) -> int | None:
        return self.http.port if self.http is not None else None

    def adapter(self, name: str) -> Adapter | None:
        """The running adapter object of an instance (None while it is restarting)."""
        return self.getServiceNamed(f"adapter:{name}").running_adapter

    def terminal_inventories(self) -> list[TerminalInventorySource]:
        """Running adapters that keep a terminal MAC inventory."""
        adapters = (svc.running_adapter for svc in self if isinstance(svc, AdapterService))
        return [a for a in adapters if isinstance(a, TerminalInventorySource)]

    def submit(self, event: Event, adapter: str = "hub") -> asyncio.Future[int]:
        return self.pipeline.submit(event, adapter)

    async def start(self) -> None:
        """Start every child in order. If one fails, those already started are stopped and the
        error is raised (JournalUnavailable, OSError for a listener)."""
        service.Service.startService(self)
        try:
            for child in self:
                if isinstance(child, StartsAsync):
                    await child.start()
                else:
                    child.startService()
                self._started.append(child)
        except BaseException:
            await self.stop()
            raise
        # A journal that cannot write makes the hub NOT_SERVING.
        self.journal.on_health = self.grpc.health_changed
        self._update_device_gauges()
        log.info("hub started", hub_id=self.settings.hub_id, grpc=f"{self.grpc.host}:{self.grpc_port}",
                 metrics_port=self.metrics_port, devices=len(self.registry),
                 adapters=[a.name for a in self.settings.adapters], head_sequence=self.journal.head)

    async def stop(self) -> None:
        """Stop the started children in reverse order: adapters before the pipeline flushes and
        the journal commits what is pending. Idempotent: a hub that never started, or is stopping
        or stopped already (start() stops what it started when a child fails; its caller's cleanup
        may stop it again), is only waited for."""
        if self._stopping is None:
            if not self.running:
                return
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._started:
            child = self._started.pop()
            try:
                if isinstance(child, StartsAsync):
                    await child.stop()
                else:
                    stopped = child.stopService()
                    if isinstance(stopped, Deferred):
                        await stopped.asFuture(loop)
            except Exception:
                log.exception("a hub service failed to stop", service=child.name)
        service.Service.stopService(self)
        self.blocking_pool.shutdown(wait=False, cancel_futures=True)
        log.info("hub stopped", head_sequence=self.journal.head)

    def _update_device_gauges(self) -> None:
        for state, count in self.registry.counts().items():
            self.metrics.devices.labels(state).set(count)


__all__ = ["AdapterInstance", "DeviceState", "Hub", "HubSettings", "STATE_NAMES", "TlsFiles", "UplinkInstance"]
