"""The SNMP adapter: traps/informs, polling, terminal MAC inventory and upstream correlation.

Per device a Twisted ``LoopingCall`` polls reachability and sysUpTime, IF-MIB ifOperStatus and
UPS-MIB state in one GET (walking ifOperStatus when no ports are listed), and reads the bridge
forwarding tables every ``terminal_interval``. Traps and polls feed the same per-device
:class:`~adapters.snmp.watch.DeviceWatch`, so each change is reported once. Devices whose
``upstream`` names a switch port go offline ("upstream port down") when that port goes down.
"""
from __future__ import annotations

import asyncio
import dataclasses
import socket
import time

from twisted.internet import defer, task

from hub.events import State, new_event
from hub.spi import Adapter, DeviceSpec, LateDevices, TerminalInventorySource

from . import oids
from .correlation import UPSTREAM_DOWN, UPSTREAM_UP, UpstreamMap
from .fdb import (
    Terminal, TerminalChange, TerminalInventory, decode_base_port_ifindex, decode_bridge_fdb, decode_qbridge_fdb,
    terminal_locations,
)
from .interfaces import InterfaceReading, get_many, read_interfaces
from .options import SnmpDeviceOptions, SnmpOptions, UsmUserOptions
from .poller import Poller, PollError, Target
from .receiver import Notification, Rejection, TrapReceiver
from .usm import UsmUser
from .taxonomy import Finding, Trap, classify_trap, render_value
from .watch import DeviceWatch, PollResult, UpsReading

# rejections that say a configured device sends with the wrong credentials
CREDENTIAL_REJECTIONS = {"bad_community", "unknown_user", "unknown_engine_id", "wrong_digest",
                         "decryption_error", "unsupported_security_level"}
UNKNOWN_SENDERS_LOGGED = 1024  # unknown trap senders named in the log (bounded: addresses can be spoofed)

# device facts read at the first poll: (fact name, OID)
FACTS = (("sys_descr", oids.SYS_DESCR), ("sys_name", oids.SYS_NAME), ("sys_object_id", oids.SYS_OBJECT_ID))
UPS_FACTS = (("ups_manufacturer", oids.UPS_IDENT_MANUFACTURER), ("ups_model", oids.UPS_IDENT_MODEL),
             ("ups_software_version", oids.UPS_IDENT_UPS_SOFTWARE_VERSION))


@dataclasses.dataclass
class _Device:
    spec: DeviceSpec
    options: SnmpDeviceOptions
    watch: DeviceWatch
    target: Target | None = None
    address: str | None = None  # resolved host: traps from here are this device's
    facts_read: bool = False
    ports_read: bool = False  # ifType and names read since the device (last) started
    reachable: bool | None = None
    trap_fault: str | None = None
    terminals_due: float = 0.0
    loops: list[task.LoopingCall] = dataclasses.field(default_factory=list)
    pending: set[asyncio.Future] = dataclasses.field(default_factory=set)


def _to_usm(user: UsmUserOptions, extra_engine_ids: list[bytes]) -> UsmUser:
    engine_ids = {bytes.fromhex(e) for e in user.engine_ids} | set(extra_engine_ids)
    return UsmUser(user.name, user.auth_key.get_secret_value(), user.priv_key.get_secret_value(),
                   user.auth_protocol, user.priv_protocol, tuple(sorted(engine_ids)))


class SnmpAdapter(Adapter, TerminalInventorySource):
    Options = SnmpOptions
    DeviceOptions = SnmpDeviceOptions

    def __init__(self, ctx, options: SnmpOptions) -> None:
        super().__init__(ctx, options)
        self.options: SnmpOptions = options
        self.inventory = TerminalInventory(options.terminal_gone_after)
        self.upstream = UpstreamMap(ctx.all_devices)
        self.devices: dict[str, _Device] = {}
        self.receiver: TrapReceiver | None = None
        self.poller: Poller | None = None
        self._communities: list[str] = []
        self._by_engine_id: dict[bytes, str] = {}
        self._trap_engine_ids: dict[str, frozenset[bytes]] = {}  # v3 user -> engine ids its traps may carry
        self._unknown_senders_logged: set[str] = set()
        self._by_address: dict[str, list[str]] = {}
        self._poll_slots = asyncio.Semaphore(options.max_concurrent_polls)
        self._late = LateDevices(ctx, "max_concurrent_polls")
        self._ready = asyncio.Event()
        self._delayed: list = []  # twisted DelayedCalls starting the poll loops
        self._sweep: task.LoopingCall | None = None

    # --- the API's view -----------------------------------------------------------------------
    def terminals(self, switch: str | None = None) -> list[Terminal]:
        """The terminal MAC inventory: which MAC sits on which switch port (optionally one switch)."""
        return self.inventory.terminals(switch)

    @property
    def trap_port(self) -> int:
        return self.receiver.port if self.receiver else 0

    async def wait_ready(self) -> None:
        """Wait until the receiver listens and polling has started (for tests and tools)."""
        await self._ready.wait()

    # --- lifecycle -------------------------------------------------------------------------------
    async def run(self) -> None:
        ctx = self.ctx
        users = {u.name: u for u in self.options.users}
        for spec in ctx.devices:
            options: SnmpDeviceOptions = spec.options
            if options.version == "v3" and options.user not in users:
                ctx.log.error("snmp.config.unknown_user", device=spec.id, user=options.user, known=sorted(users))
                ctx.device_faulty(spec.id, f"config: SNMPv3 user {options.user!r} is not among the adapter's users")
                continue
            self.devices[spec.id] = _Device(spec, options, DeviceWatch(options.port_selection()))
        device_engine_ids = [bytes.fromhex(d.options.engine_id) for d in self.devices.values() if d.options.engine_id]
        for device_id, device in self.devices.items():
            if device.options.engine_id:
                self._by_engine_id[bytes.fromhex(device.options.engine_id)] = device_id
        trap_users = [_to_usm(u, device_engine_ids) for u in self.options.users]
        self._trap_engine_ids = {u.name: frozenset(u.engine_ids) for u in trap_users}
        communities = [c.get_secret_value() for c in self.options.communities]
        communities += [d.options.community.get_secret_value() for d in self.devices.values()]
        self._communities = list(dict.fromkeys(communities))
        try:
            self.receiver = await TrapReceiver.start(
                host=self.options.trap_host, port=self.options.trap_port, communities=self._communities,
                users=trap_users,
                on_notification=self._on_notification, on_rejection=self._on_rejection,
                on_error=self._on_receiver_error, run_blocking=ctx.run_blocking)
            ctx.log.info("snmp.receiver.listening", host=self.options.trap_host, port=self.receiver.port)
            self.poller = await Poller.create(ctx.run_blocking, max_repetitions=self.options.max_repetitions)
            await self._prepare_targets(users)
            self._start_polling()
            self._ready.set()
            await asyncio.get_running_loop().create_future()  # until cancelled
        finally:
            for call in self._delayed:
                if call.active():
                    call.cancel()
            if self._sweep is not None and self._sweep.running:
                self._sweep.stop()
            for device in self.devices.values():
                for loop in device.loops:
                    if loop.running:
                        loop.stop()
                for pending in device.pending:
                    pending.cancel()
            # answers already read from the socket are queued callbacks: let them run before the
            # transports they name are unregistered
            await asyncio.sleep(0)
            if self.receiver is not None:
                self.receiver.close()
            if self.poller is not None:
                self.poller.close()

    async def _prepare_targets(self, users: dict[str, UsmUserOptions]) -> None:
        loop = asyncio.get_running_loop()
        for device_id, device in self.devices.items():
            options = device.options
            try:
                infos = await loop.getaddrinfo(options.host, options.port, type=socket.SOCK_DGRAM)
                device.address = infos[0][4][0]
                user = _to_usm(users[options.user], []) if options.user else None
                device.target = await Target.create(
                    device.address, options.port, version=options.version,
                    community=options.community.get_secret_value(), user=user, context_name=options.context,
                    timeout=options.timeout, retries=options.retries)
            except (OSError, ValueError) as exc:
                self.ctx.log.warning("snmp.device.unresolvable", device=device_id, host=options.host, error=str(exc))
                self.ctx.device_offline(device_id, f"cannot resolve {options.host}: {exc}")
                continue
            for address in {device.address, options.trap_source} - {None}:
                self._by_address.setdefault(address, []).append(device_id)
        await self.poller.register([d.target for d in self.devices.values() if d.target is not None],
                                   self.ctx.run_blocking)

    def _start_polling(self) -> None:
        from twisted.internet import reactor

        ready = [d for d in self.devices.values() if d.target is not None]
        for i, device in enumerate(ready):
            poll = task.LoopingCall(self._poll_deferred, device)
            device.loops.append(poll)
            # spread the first polls over one interval so 1000 switches do not answer at once
            offset = device.options.poll_interval * i / max(1, len(ready))
            self._delayed.append(reactor.callLater(offset, self._start_loop, poll, device.options.poll_interval))
        if any(d.options.terminals for d in ready):
            self._sweep = task.LoopingCall(self._sweep_terminals)
            self._sweep.start(min(60.0, self.options.terminal_gone_after / 4), now=False)

    @staticmethod
    def _start_loop(loop: task.LoopingCall, interval: float) -> None:
        if not loop.running:
            loop.start(interval, now=True)

    # --- polling ---------------------------------------------------------------------------------
    def _poll_deferred(self, device: _Device) -> defer.Deferred:
        future = asyncio.ensure_future(self._poll_safely(device))
        device.pending.add(future)
        future.add_done_callback(device.pending.discard)
        deferred = defer.Deferred.fromFuture(future)
        deferred.addErrback(lambda failure: failure.trap(defer.CancelledError, asyncio.CancelledError))
        return deferred

    async def _poll_safely(self, device: _Device) -> None:
        asked = time.monotonic()
        async with self._poll_slots:
            started = time.monotonic()
            self._note_slot_wait(device, started - asked)
            try:
                await self._poll(device)
            except PollError as exc:
                self._poll_failed(device, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop this device's polling
                self.ctx.metrics.count("snmp_polls", result="bug")
                self.ctx.log.exception("snmp.poll.bug", device=device.spec.id, error=repr(exc))
            finally:
                self.ctx.metrics.observe("snmp_poll", time.monotonic() - started)

    def _note_slot_wait(self, device: _Device, waited: float) -> None:
        """A poll that waited for a slot longer than its interval (as a Modbus panel polled late) is
        late because of ``max_concurrent_polls``: say so (LATE in ``campus-hub devices``) until one
        is not."""
        self.ctx.metrics.observe("snmp_poll_slot_wait", waited)
        if waited > device.options.poll_interval:
            self._late.late(device.spec.id, f"poll waited {waited:.1f} s for a slot: all "
                                            f"{self.options.max_concurrent_polls} busy (max_concurrent_polls)")
        else:
            self._late.on_time(device.spec.id)

    async def _poll(self, device: _Device) -> None:
        options, target = device.options, device.target
        names = [oids.SYS_UPTIME]
        if not device.facts_read:
            names += [oid for _, oid in FACTS]
            if options.ups:
                names += [oid for _, oid in UPS_FACTS]
        if options.ups:
            names += list(oids.UPS_SCALARS)
        values = await get_many(self.poller, target, names)
        interfaces = InterfaceReading({}, {}, None)
        if options.interfaces:
            interfaces = await read_interfaces(self.poller, target, options.watch_ports,
                                               device.watch.ports if device.ports_read else None)
            device.ports_read = True
        uptime = values.get(oids.SYS_UPTIME)
        result = PollResult(uptime=uptime if isinstance(uptime, int) else None, oper_status=interfaces.oper_status,
                            admin_status=interfaces.admin_status, ports=interfaces.ports,
                            ups=UpsReading.from_values(values) if options.ups else None)
        self._answered(device, values)
        now = time.time()
        self._apply(device, device.watch.on_poll(result, now), raw_text="poll")
        if options.terminals and time.monotonic() >= device.terminals_due:
            await self._collect_terminals(device, now)
            device.terminals_due = time.monotonic() + options.terminal_interval
        self.ctx.metrics.count("snmp_polls", result="ok")

    def _answered(self, device: _Device, values: dict) -> None:
        device_id = device.spec.id
        if not device.facts_read:
            facts = {name: render_value(values.get(oid)).strip() for name, oid in (*FACTS, *UPS_FACTS)
                     if values.get(oid) is not None}
            self.ctx.set_device_facts(device_id, facts)
            device.facts_read = True
        if device.reachable is False:
            self.ctx.log.info("snmp.device.answers_again", device=device_id)
        device.reachable = True
        if device.trap_fault is None:
            self.ctx.device_seen(device_id)

    def _poll_failed(self, device: _Device, exc: PollError) -> None:
        device_id, options = device.spec.id, device.options
        self.ctx.metrics.count("snmp_polls", result=exc.kind)
        self.ctx.log.warning("snmp.poll.failed", device=device_id, host=options.host, port=options.port,
                             kind=exc.kind, error=str(exc))
        device.reachable = False
        if options.version == "v3":
            self.poller.rediscover(device.target)  # the agent may have restarted with a new engine id
        if exc.kind == "timeout":
            self.ctx.device_offline(device_id, f"no SNMP answer from {options.host}:{options.port} ({exc})")
        else:
            self.ctx.device_faulty(device_id, f"SNMP error from {options.host}:{options.port}: {exc}")

    async def _collect_terminals(self, device: _Device, now: float) -> None:
        options, target = device.options, device.target
        port_map = decode_base_port_ifindex(await self.poller.walk(target, oids.DOT1D_BASE_PORT_IFINDEX))
        entries = []
        if options.fdb_mib in ("auto", "qbridge"):
            rows = await self.poller.walk(target, oids.DOT1Q_TP_FDB_PORT)
            rows += await self.poller.walk(target, oids.DOT1Q_TP_FDB_STATUS)
            entries = decode_qbridge_fdb(rows)
        if not entries and options.fdb_mib in ("auto", "bridge"):
            rows = await self.poller.walk(target, oids.DOT1D_TP_FDB_PORT)
            rows += await self.poller.walk(target, oids.DOT1D_TP_FDB_STATUS)
            entries = decode_bridge_fdb(rows)
        locations = terminal_locations(device.spec.id, entries, port_map, uplink_ports=options.uplink_ports,
                                       trunk_threshold=self.options.trunk_mac_threshold)
        for change in self.inventory.observe(locations, now):
            self._emit_terminal(change)
        self.ctx.metrics.gauge("snmp_terminals", len(self.inventory))

    def _sweep_terminals(self) -> None:
        unreadable = [d.spec.id for d in self.devices.values() if d.options.terminals and d.reachable is not True]
        for change in self.inventory.sweep(time.time(), unknown_switches=unreadable):
            self._emit_terminal(change)
        self.ctx.metrics.gauge("snmp_terminals", len(self.inventory))

    def _emit_terminal(self, change: TerminalChange) -> None:
        attributes = {"mac": change.mac, "port": str(change.location.port)}
        if change.location.fdb_id is not None:
            attributes["fdb_id"] = str(change.location.fdb_id)
        if change.previous is not None:
            attributes["previous_switch"] = change.previous.switch
            attributes["previous_port"] = str(change.previous.port)
        finding = Finding(f"network.terminal_{change.kind}", State.STATE_MOMENTARY, attributes)
        self._emit(change.location.switch, finding, raw_text=f"terminal {change.kind} {change.mac}")

    # --- traps -----------------------------------------------------------------------------------
    def _sender(self, notification: Notification) -> str | None:
        if notification.engine_id and notification.engine_id in self._by_engine_id:
            return self._by_engine_id[notification.engine_id]
        candidates = self._by_address.get(notification.source[0], [])
        if len(candidates) > 1 and notification.community_index is not None:
            community = self._communities[notification.community_index]
            candidates = [c for c in candidates
                          if self.devices[c].options.community.get_secret_value() == community] or candidates
        return candidates[0] if candidates else None

    def _on_notification(self, notification: Notification) -> asyncio.Future | None:
        received = time.monotonic()
        metrics, log = self.ctx.metrics, self.ctx.log
        metrics.count("snmp_traps_received", version=notification.version)
        device_id = self._sender(notification)
        try:
            trap = Trap.from_varbinds(notification.varbinds)
        except ValueError as exc:
            metrics.count("snmp_traps_rejected", reason="no_trap_oid")
            log.warning("snmp.trap.invalid", device=device_id, source=notification.source[0], error=str(exc))
            return None
        if device_id is None:
            return self._from_unknown_sender(notification, trap)
        device = self.devices[device_id]
        if device.trap_fault is not None:
            log.info("snmp.trap.credentials_ok_again", device=device_id)
            device.trap_fault = None
            self.ctx.device_online(device_id, "traps accepted again")
        elif device.reachable is not False:
            self.ctx.device_seen(device_id)
        report = device.watch.on_trap(trap, time.time())
        futures = self._apply(device, report, raw=notification.datagram,
                              raw_text=f"{notification.version} {'inform' if notification.inform else 'trap'} "
                                       f"from {notification.source[0]}")
        journaled = asyncio.gather(*futures) if futures else None
        if journaled is not None:
            journaled.add_done_callback(
                lambda f: f.cancelled() or f.exception() is not None
                or metrics.observe("snmp_trap_to_journal", time.monotonic() - received))
        return journaled

    def _from_unknown_sender(self, notification: Notification, trap: Trap) -> asyncio.Future:
        """A trap from an address (and engine id) no device has: kept under its address as device
        id, which the hub's pipeline flags ``unknown_device``. No state is kept for it."""
        address = notification.source[0]
        self.ctx.metrics.count("snmp_traps_unknown_sender")
        # logged once per sender (each trap is kept and counted): a chatty device must not flood the log
        if address not in self._unknown_senders_logged and len(self._unknown_senders_logged) < UNKNOWN_SENDERS_LOGGED:
            self._unknown_senders_logged.add(address)
            self.ctx.log.warning("snmp.trap.unknown_sender", source=address, version=notification.version,
                                 user=notification.security_name if notification.version == "v3" else None,
                                 engine_id=notification.engine_id.hex() if notification.engine_id else None,
                                 note="kept and flagged; later traps from this address are counted, not logged")
        finding = classify_trap(trap)
        attributes = {"source": "trap", "source_address": address, **finding.attributes}
        if notification.engine_id:
            attributes["engine_id"] = notification.engine_id.hex()
        return self._emit(address, dataclasses.replace(finding, attributes=attributes), raw=notification.datagram,
                          raw_text=f"{notification.version} {'inform' if notification.inform else 'trap'} "
                                   f"from {address} (not a configured device)")

    def _rejection_reason(self, rejection: Rejection) -> str:
        """pysnmp counts a v3 trap whose (engine id, user) pair is unknown as an unknown user, even
        when the user is configured and only its sender's engine id is not: tell them apart."""
        envelope = rejection.envelope
        if rejection.reason == "unknown_user" and envelope is not None and envelope.user is not None:
            engine_ids = self._trap_engine_ids.get(envelope.user.decode(errors="replace"))
            if engine_ids is not None and envelope.engine_id not in engine_ids:
                return "unknown_engine_id"
        return rejection.reason

    def _on_rejection(self, rejection: Rejection) -> None:
        envelope = rejection.envelope
        if rejection.reason.startswith("sync:"):  # SNMPv3 discovery and time sync of an inform sender
            self.ctx.metrics.count("snmp_v3_sync_reports")
            return
        reason = self._rejection_reason(rejection)
        self.ctx.metrics.count("snmp_traps_rejected", reason=reason)
        device_id = next(iter(self._by_address.get(rejection.source[0], [])), None)
        if envelope is not None and envelope.engine_id in self._by_engine_id:
            device_id = self._by_engine_id[envelope.engine_id]
        self.ctx.log.warning(
            "snmp.trap.rejected", reason=reason, source=rejection.source[0], device=device_id,
            version=envelope.version_name if envelope else None,
            user=envelope.user.decode(errors="replace") if envelope and envelope.user is not None else None,
            engine_id=envelope.engine_id.hex() if envelope and envelope.engine_id else None,
            size=len(rejection.datagram))
        if device_id is not None and reason in CREDENTIAL_REJECTIONS:
            self.devices[device_id].trap_fault = reason
            if reason == "unknown_engine_id":
                why = (f"engine id {envelope.engine_id.hex()} is not configured for SNMPv3 user "
                       f"{envelope.user.decode(errors='replace')}")
            else:
                why = reason.replace("_", " ")
            self.ctx.device_faulty(device_id, f"traps rejected: {why}")

    def _on_receiver_error(self, exc: BaseException, source: tuple) -> None:
        self.ctx.metrics.count("snmp_traps_rejected", reason="receiver_error")
        self.ctx.log.error("snmp.receiver.error", source=source[0] if source else None, error=repr(exc))

    # --- findings -> events and device states ----------------------------------------------------
    def _apply(self, device: _Device, report, *, raw: bytes = b"", raw_text: str = "") -> list[asyncio.Future]:
        if any(f.type == "network.device_restarted" for f in report.findings):
            device.ports_read = False  # ifIndexes may be numbered anew after a restart
        futures = [self._emit(device.spec.id, finding, raw=raw, raw_text=raw_text) for finding in report.findings]
        for port, up in report.port_changes:
            for behind, online in self.upstream.port_changed(device.spec.id, port, up):
                if online:
                    self.ctx.device_online(behind, UPSTREAM_UP)
                else:
                    self.ctx.device_offline(behind, UPSTREAM_DOWN)
                self.ctx.log.info("snmp.upstream", device=behind, switch=device.spec.id, port=port,
                                  online=online)
        return futures

    def _emit(self, device_id: str, finding: Finding, *, raw: bytes = b"", raw_text: str = "") -> asyncio.Future:
        event = new_event(device_id=device_id, type=finding.type, category=finding.category,
                          severity=finding.severity, state=finding.state, occurred_at=time.time(),
                          attributes=finding.attributes, raw_protocol="snmp", raw_data=raw, raw_text=raw_text)
        future = self.ctx.emit(event)
        future.add_done_callback(self._emit_done)
        return future

    def _emit_done(self, future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.ctx.metrics.count("snmp_emit_failures")
            self.ctx.log.error("snmp.emit.failed", error=repr(future.exception()))
