"""The hub: a Twisted service tree of adapters around the pipeline, journal and gRPC API."""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from collections.abc import Sequence

import grpc
import structlog
from twisted.application import service
from twisted.internet.defer import maybeDeferred

from hub import api, interpreter
from hub.auth import Authenticator, Subscriber
from hub.context import DeviceStates, HubAdapterContext
from hub.events import DeviceState, Event
from hub.journal import Journal
from hub.metrics import HubMetrics
from hub.pipeline import Pipeline
from hub.registry import STATE_NAMES, DeviceRegistry
from hub.spi import Adapter, DeviceSpec, TerminalInventorySource
from hub.supervisor import AdapterService

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
    devices: Sequence[DeviceSpec] = ()
    adapters: Sequence[AdapterInstance] = ()
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


class Hub(service.MultiService):
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
        self.api = api.EventHubService(self.journal, self.registry, Authenticator(settings.subscribers),
                                       self.metrics, settings.max_subscribers, self.terminal_inventories)
        self.grpc_server: grpc.aio.Server | None = None
        self.grpc_port: int | None = None
        self.metrics_port: int | None = None
        self._metrics_listener = None
        self._health = None
        self._retention_task: asyncio.Task | None = None
        for instance in settings.adapters:
            AdapterService(
                instance.name, self._builder(instance),
                on_restart=self.metrics.adapter_restarts.labels(instance.name).inc,
                initial_backoff=settings.adapter_initial_backoff, max_backoff=settings.adapter_max_backoff,
            ).setServiceParent(self)

    def _builder(self, instance: AdapterInstance):
        def build() -> Adapter:
            context = HubAdapterContext(
                instance.name, self.registry.for_adapter(instance.name), self.pipeline.submit,
                self.device_states, self.metrics.for_adapter(instance.name), self.blocking_pool, self.journal)
            return instance.cls(context, instance.options)
        return build

    def adapter(self, name: str) -> Adapter | None:
        """The running adapter object of an instance (None while it is restarting)."""
        svc = self.getServiceNamed(f"adapter:{name}")
        return svc.running_adapter

    def terminal_inventories(self) -> list[TerminalInventorySource]:
        """Running adapters that keep a terminal MAC inventory."""
        adapters = (svc.running_adapter for svc in self if isinstance(svc, AdapterService))
        return [a for a in adapters if isinstance(a, TerminalInventorySource)]

    def submit(self, event: Event, adapter: str = "hub") -> asyncio.Future[int]:
        return self.pipeline.submit(event, adapter)

    async def start(self) -> None:
        interpreter.tune_for_hub()
        await self.journal.open()
        self.pipeline.start()
        await self._start_grpc()
        self._start_metrics()
        self._update_device_gauges()
        if self.settings.max_age or self.settings.max_bytes:
            self._retention_task = asyncio.get_running_loop().create_task(self._retain_forever())
        self.startService()
        interpreter.freeze_startup_objects()
        log.info("hub started", grpc=f"{self._grpc_host()}:{self.grpc_port}", metrics_port=self.metrics_port,
                 devices=len(self.registry), adapters=[a.name for a in self.settings.adapters],
                 head_sequence=self.journal.head)

    async def stop(self) -> None:
        """Stop adapters first, then commit what is pending, then close the API and journal."""
        await self.stopService().asFuture(asyncio.get_running_loop())
        if self._retention_task is not None:
            self._retention_task.cancel()
        await self.pipeline.stop()
        if self.grpc_server is not None:
            await self.grpc_server.stop(grace=1.0)
        if self._metrics_listener is not None:
            await maybeDeferred(self._metrics_listener.stopListening).asFuture(asyncio.get_running_loop())
        await self.journal.close()
        self.blocking_pool.shutdown(wait=False, cancel_futures=True)
        log.info("hub stopped", head_sequence=self.journal.head)

    def _grpc_host(self) -> str:
        return self.settings.grpc_address.rsplit(":", 1)[0]

    async def _start_grpc(self) -> None:
        server = grpc.aio.server(options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.max_receive_message_length", 1 << 20),
        ])
        self._health = api.add_to_server(self.api, server)
        tls = self.settings.tls
        if tls is not None:
            with open(tls.key_file, "rb") as key, open(tls.cert_file, "rb") as cert:
                credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
            port = server.add_secure_port(self.settings.grpc_address, credentials)
        else:
            port = server.add_insecure_port(self.settings.grpc_address)
        if not port:
            raise OSError(f"cannot listen for gRPC on {self.settings.grpc_address} (address in use or not local?)")
        await server.start()
        self.grpc_server, self.grpc_port = server, port
        await self._set_health(True)
        # A journal that cannot write makes the hub NOT_SERVING, so load balancers and
        # monitoring see it; events are held and retried meanwhile.
        self.journal.on_health = lambda ok: asyncio.ensure_future(self._set_health(ok))

    async def _set_health(self, serving: bool) -> None:
        status = api.SERVING if serving else api.NOT_SERVING
        await self._health.set(api.SERVICE_NAME, status)
        await self._health.set("", status)

    def _start_metrics(self) -> None:
        if not self.settings.metrics_address:
            return
        from prometheus_client.twisted import MetricsResource
        from twisted.internet import reactor
        from twisted.web.resource import Resource
        from twisted.web.server import Site

        host, _, port = self.settings.metrics_address.rpartition(":")
        root = Resource()
        root.putChild(b"metrics", MetricsResource(registry=self.metrics.registry))
        self._metrics_listener = reactor.listenTCP(int(port), Site(root), interface=host.strip("[]"))
        self.metrics_port = self._metrics_listener.getHost().port

    async def _retain_forever(self) -> None:
        while True:
            try:
                await self.journal.apply_retention()
            except Exception:
                log.exception("journal retention failed; will retry")
            await asyncio.sleep(self.settings.retention_interval)

    def _update_device_gauges(self) -> None:
        for state, count in self.registry.counts().items():
            self.metrics.devices.labels(state).set(count)


__all__ = ["AdapterInstance", "Hub", "HubSettings", "TlsFiles", "DeviceState", "STATE_NAMES"]
