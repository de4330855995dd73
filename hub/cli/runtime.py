"""From a loaded config to a running hub, and the one place that runs the reactor for commands."""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import structlog

from hub import reactor as hub_reactor

log = structlog.get_logger("runtime")


def settings_from_config(config):
    """`HubSettings` for a loaded, validated :class:`hub.config.HubConfig`."""
    from hub.access import Scope, Subscriber
    from hub.events import parse_category
    from hub.kernel import AdapterInstance, HubSettings, TlsFiles, UplinkInstance
    from hub.spi import load_adapter_class, load_uplink_class

    grpc_listener = config.listeners.grpc
    tls = grpc_listener.tls
    metrics = config.listeners.metrics
    return HubSettings(
        journal_path=str(config.journal.path),
        hub_id=config.hub.id,
        durability=config.journal.durability,
        max_events_per_commit=config.journal.max_events_per_commit,
        tail_cache_events=config.journal.tail_cache_events,
        max_age=config.journal.max_age,
        max_bytes=config.journal.max_bytes,
        dedupe_window=config.pipeline.dedupe_window,
        grpc_address=grpc_listener.address,
        tls=TlsFiles(str(tls.cert_file), str(tls.key_file)) if tls else None,
        max_subscribers=grpc_listener.max_subscribers,
        metrics_address=metrics.address if metrics else None,
        devices=config.device_specs(),
        adapters=[AdapterInstance(a.name, load_adapter_class(a.type), a.options) for a in config.adapters],
        subscribers=[
            Subscriber(s.id, s.token_sha256.get_secret_value(), Scope(
                region_prefixes=tuple(s.scope.region_prefixes), school_ids=frozenset(s.scope.school_ids),
                categories=frozenset(parse_category(c) for c in s.scope.categories),
                all_regions=s.scope.all_regions), s.role)
            for s in config.subscribers
        ],
        alarm_classes=config.alarms.alarm_classes(),
        alarm_overrides=config.alarms.alarm_overrides(),
        linkage_rules=config.linkage.engine_rules(),
        coverage=config.linkage.engine_coverage(),
        media_path=config.linkage.media.path or None,
        media_max_age=config.linkage.media.max_age,
        media_max_bytes=config.linkage.media.max_bytes,
        media_max_item_bytes=config.linkage.media.max_item_bytes,
        reports=config.reports.to_settings({site.school_id: site.name for site in config.sites if site.name},
                                           config.journal.max_age),
        ledger=config.ledger.to_settings(config.journal.path.parent) if config.reports.enabled else None,
        uplinks=[UplinkInstance(u.name, load_uplink_class(u.type), u.options) for u in config.uplinks],
    )


def run(main: Callable[[], Awaitable[int | None]]) -> int:
    """Run ``main()`` on the asyncio reactor until it returns or Ctrl-C / SIGTERM cancels it.

    Returns the exit status: main's result, 130 after Ctrl-C, 1 after an unexpected error.
    """
    hub_reactor.install()
    from twisted.internet import reactor

    loop = asyncio.get_event_loop()
    outcome = {"status": 1}
    interrupted = []

    async def supervise() -> None:
        try:
            outcome["status"] = (await main()) or 0
        except asyncio.CancelledError:
            outcome["status"] = 130 if interrupted == ["SIGINT"] else 0  # SIGTERM is an orderly stop
        except Exception:
            log.exception("stopped by an unexpected error")
            outcome["status"] = 1
        finally:
            reactor.stop()

    task = loop.create_task(supervise())

    def interrupt(signame: str) -> None:
        if interrupted:
            return
        interrupted.append(signame)
        log.info("stopping", signal=signame)
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt, signal.Signals(signum).name)
    reactor.run(installSignalHandlers=False)
    return outcome["status"]


class PluginUnavailable(RuntimeError):
    """A plugin command cannot be loaded (import failure, or it breaks the configure contract)."""


def run_plugin_command(prog: str, configure, argv: list[str] | None = None) -> int:
    """A plugin command (``configure(parser)`` contract, see pyproject's campushub.simulators):
    ``campus-hub sim NAME`` passes the loaded plugin (hub.spi.load_plugin); ``python -m
    simulators.sia`` passes "module:function", imported here only after the reactor is installed.
    Same reactor, logging and Ctrl-C handling either way."""
    import argparse
    import importlib

    from hub.cli import logs

    hub_reactor.install()
    where = configure if isinstance(configure, str) else f"{configure.__module__}:{configure.__qualname__}"
    if isinstance(configure, str):
        module, _, name = configure.partition(":")
        try:
            configure = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise PluginUnavailable(f"{where}: {exc}") from exc
    parser = argparse.ArgumentParser(prog=prog)
    configure(parser)
    args = parser.parse_args(argv)
    if not hasattr(args, "main"):
        raise PluginUnavailable(f"{where} set no main() (see the campushub.simulators contract)")
    logs.configure("info")
    return run(lambda: args.main(args))


async def serve(config) -> int:
    """Run a hub from a loaded config until cancelled: this process is the hub's, so the
    interpreter is tuned for it (see hub.cli.interpreter)."""
    from hub.cli import interpreter
    from hub.journal import JournalUnavailable
    from hub.kernel import Hub

    interpreter.tune_for_hub()
    from hub.cli._console import attach_from_config

    hub = Hub(settings_from_config(config))
    attach_from_config(hub, config)
    try:
        await hub.start()
    except (JournalUnavailable, OSError) as exc:
        log.error("hub could not start", error=str(exc))
        return 2
    interpreter.freeze_startup_objects()
    announce(hub, config)
    try:
        await asyncio.Future()
    finally:
        await hub.stop()
    return 0


def announce(hub, config) -> None:
    """What an integrator needs to see at start, one line each, at the default level: the
    listeners, and how many adapters and devices run."""
    log.info("listening", api="gRPC", address=f"{hub.grpc.host}:{hub.grpc_port}",
             tls=config.listeners.grpc.tls is not None)
    if hub.metrics_port is not None:
        log.info("listening", api="metrics (HTTP)", address=hub.settings.metrics_address.rpartition(":")[0]
                 + f":{hub.metrics_port}", path="/metrics")
    console = next((child for child in hub if child.name == "console"), None)
    if console is not None:
        log.info("listening", api="console (HTTP)", url=console.url)
    log.info("running", hub_id=hub.settings.hub_id, adapters=len(hub.settings.adapters),
             devices=len(hub.registry), journal=hub.settings.journal_path, head_sequence=hub.journal.head)
