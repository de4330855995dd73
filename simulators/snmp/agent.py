"""The SNMP simulator's transport: one pysnmp agent engine serving many simulated devices.

Addressing (documented in docs/adapters/snmp.md): every device has a loopback address of its own
(127.0.1.1, 127.0.1.2, ...) and all devices answer on the *same* UDP port, so a device is polled at
``<address>:<port>`` and its traps come from ``<address>``, as with real gear. Devices may also
share an address and be told apart by v2c community (or by SNMPv3 context name = device name).
Traps: v1/v2c messages are encoded here and sent from a socket bound to the device's address;
v3 traps come from a per-device pysnmp engine whose engine id is the device's.
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Sequence

from pyasn1.codec.ber import encoder
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.hlapi.v3arch import asyncio as hlapi
from pysnmp.proto import api, rfc1902, rfc1905
from pysnmp.smi import error as smi_error

from adapters.snmp import oids
from adapters.snmp.receiver import preload_mib_modules
from adapters.snmp.usm import UsmUser

from .model import Notification, SimDevice, Value, describe

#: The simulator's SNMPv3 user (agent and v3 traps): UsmUser(name, auth_key, priv_key, ...).
V3User = UsmUser

_SYNTAXES = {
    "int": rfc1902.Integer32, "octets": rfc1902.OctetString, "oid": rfc1902.ObjectIdentifier,
    "ticks": rfc1902.TimeTicks, "gauge": rfc1902.Gauge32, "counter": rfc1902.Counter32,
    "counter64": rfc1902.Counter64, "ip": rfc1902.IpAddress,
}


def to_pysnmp(value: Value):
    syntax, raw = value
    try:
        return _SYNTAXES[syntax](raw)
    except KeyError:
        raise ValueError(f"unknown syntax {syntax!r}") from None


def _bind_all(addresses: Sequence[str], port: int) -> list[socket.socket]:
    """Bind one UDP socket per address, all on the same port (a fresh one if ``port`` is 0)."""
    for _attempt in range(20):
        sockets: list[socket.socket] = []
        chosen = port
        try:
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind((address, chosen))
                chosen = sock.getsockname()[1]
            return sockets
        except OSError as exc:
            for sock in sockets:
                sock.close()
            if port or exc.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, "no common free port on all simulator addresses")


class _DeviceMib:
    """The MIB instrumentation pysnmp's command responders call: routes to the addressed device."""

    def __init__(self, simulator: SnmpSimulator) -> None:
        self._sim = simulator

    def _device(self, snmp_engine) -> SimDevice:
        request = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        device = self._sim.route(request["transportDomain"], request["securityName"], request["contextName"])
        if device is None:
            raise smi_error.PySnmpError("no simulated device here: request dropped")
        verdict = device.counts_request()
        if verdict == "drop":
            raise smi_error.PySnmpError(f"{device.name} is silent: request dropped")
        if verdict == "error":
            raise smi_error.GenError(idx=0)
        return device

    def read_variables(self, *varbinds, **context):
        device = self._device(context["snmpEngine"])
        now = self._sim.clock()
        result = []
        for name, _ in varbinds:
            value = device.get(tuple(name), now)
            result.append((name, rfc1905.noSuchObject if value is None else to_pysnmp(value)))
        return result

    def read_next_variables(self, *varbinds, **context):
        device = self._device(context["snmpEngine"])
        now = self._sim.clock()
        result = []
        for name, _ in varbinds:
            found = device.get_next(tuple(name), now)
            if found is None:
                result.append((name, rfc1905.endOfMibView))
            else:
                result.append((rfc1902.ObjectName(found[0]), to_pysnmp(found[1])))
        return result

    def write_variables(self, *varbinds, **context):
        raise smi_error.NotWritableError(idx=0)


class SnmpSimulator:
    """Simulated switches/UPSes on one agent. Start with :meth:`start`, stop with :meth:`stop`.

    ``trap_targets`` receive every notification a change implies, as ``trap_version`` ("v1",
    "v2c" or "v3"; v3 uses ``v3_user``, authenticated by each device's own engine id).
    ``say`` gets one readable line per thing the simulator does (``None``: quiet).
    """

    def __init__(self, devices: Iterable[SimDevice], *, trap_targets: Sequence[tuple[str, int]] = (),
                 trap_version: str = "v2c", trap_community: str | None = None, v3_user: V3User | None = None,
                 clock: Callable[[], float] = time.time, say: Callable[[str], None] | None = None,
                 agent_engine_id: bytes | None = None) -> None:
        self.devices = {d.name: d for d in devices}
        self.agent_engine_id = agent_engine_id  # the agent's SNMPv3 engine id (None: pysnmp makes one)
        if trap_version not in ("v1", "v2c", "v3"):
            raise ValueError("trap_version must be v1, v2c or v3")
        if trap_version == "v3" and v3_user is None:
            raise ValueError("v3 traps need a v3_user")
        self.trap_targets = list(trap_targets)
        self.trap_version = trap_version
        self.trap_community = trap_community
        self.v3_user = v3_user
        self.clock = clock
        self.say = say or (lambda line: None)
        self.port = 0
        self.traps_sent = 0
        self._engine: engine.SnmpEngine | None = None
        self._domains: dict[tuple, str] = {}
        self._by_address: dict[str, list[SimDevice]] = {}
        for device in self.devices.values():
            self._by_address.setdefault(device.address, []).append(device)
        self._security_communities: dict[str, str] = {}
        self._trap_sockets: dict[str, asyncio.DatagramTransport] = {}
        self._trap_engines: dict[str, engine.SnmpEngine] = {}

    @classmethod
    async def start(cls, devices: Iterable[SimDevice], *, host_port: int = 0, **kwargs) -> SnmpSimulator:
        """Start serving on ``host_port`` (0: a free one, read back from ``.port``)."""
        simulator = cls(devices, **kwargs)
        await simulator._serve(host_port)
        return simulator

    async def _serve(self, port: int) -> None:
        now = self.clock()
        for device in self.devices.values():
            device.booted_at = now - device.up_for
        addresses = sorted({d.address for d in self.devices.values()}, key=ipaddress.ip_address)
        communities = sorted({d.community for d in self.devices.values()})
        loop = asyncio.get_running_loop()
        # engine construction loads pysnmp's MIB modules from disk: keep that off the loop
        self._engine = snmp_engine = await loop.run_in_executor(None, self._build_engine, communities)
        sockets = _bind_all(addresses, port)
        self.port = sockets[0].getsockname()[1]
        for i, (address, sock) in enumerate(zip(addresses, sockets)):
            domain = udp.DOMAIN_NAME + (i + 1,)
            self._domains[domain] = address
            config.add_transport(snmp_engine, domain, udp.UdpTransport(loop=loop).open_server_mode(sock=sock))
        snmp_context = context.SnmpContext(snmp_engine)
        mib = _DeviceMib(self)
        snmp_context.context_names = {b"": mib, **{d.name.encode(): mib for d in self.devices.values()}}
        for responder in (cmdrsp.GetCommandResponder, cmdrsp.NextCommandResponder, cmdrsp.BulkCommandResponder,
                          cmdrsp.SetCommandResponder):
            responder(snmp_engine, snmp_context)
        self.say(f"SNMP agent: {len(self.devices)} devices on UDP port {self.port} at "
                 f"{addresses[0]}{'..' + addresses[-1] if len(addresses) > 1 else ''}")

    def _build_engine(self, communities: Sequence[str]) -> engine.SnmpEngine:
        engine_id = None if self.agent_engine_id is None else rfc1902.OctetString(self.agent_engine_id)
        snmp_engine = preload_mib_modules(engine.SnmpEngine(snmpEngineID=engine_id))
        for i, community in enumerate(communities):
            security_name = f"community-{i}"
            self._security_communities[security_name] = community
            config.add_v1_system(snmp_engine, security_name, community)
        if self.v3_user is not None:
            config.add_v3_user(snmp_engine, self.v3_user.name, *self.v3_user.protocols())
        return snmp_engine

    def route(self, domain: tuple, security_name, context_name) -> SimDevice | None:
        """The device a request addresses: by receiving address, then community or context name."""
        here = self._by_address.get(self._domains.get(tuple(domain)), [])
        context_name = bytes(context_name).decode(errors="replace")
        if context_name:
            here = [d for d in here if d.name == context_name]
        community = self._security_communities.get(str(security_name))
        if community is not None:
            here = [d for d in here if d.community == community]
        return here[0] if len(here) == 1 else None

    def device(self, name: str) -> SimDevice:
        try:
            return self.devices[name]
        except KeyError:
            raise ValueError(f"no simulated device {name!r}; known: {', '.join(sorted(self.devices))}") from None

    # --- scenario actions ------------------------------------------------------------------
    async def port_down(self, device: str, port: int) -> None:
        await self.notify(device, self.device(device).set_port(port, False, self.clock()), f"port {port} down")

    async def port_up(self, device: str, port: int) -> None:
        await self.notify(device, self.device(device).set_port(port, True, self.clock()), f"port {port} up")

    async def port_admin(self, device: str, port: int, up: bool) -> None:
        await self.notify(device, self.device(device).set_port_admin(port, up, self.clock()),
                          f"port {port} {'enabled' if up else 'shut'} by an administrator")

    async def learn_mac(self, device: str, mac: str, port: int) -> None:
        for other in self.devices.values():
            if other.name != device:
                other.forget(mac)
        self.device(device).learn(mac, port)
        self.say(f"{device}: learned {mac} on port {port}")

    async def forget_mac(self, device: str, mac: str) -> None:
        self.device(device).forget(mac)
        self.say(f"{device}: forgot {mac}")

    async def mains(self, device: str, on: bool) -> None:
        await self.notify(device, self.device(device).set_mains(on, self.clock()), "mains " + ("back" if on else "cut"))

    async def battery_low(self, device: str, low: bool) -> None:
        await self.notify(device, self.device(device).set_battery_low(low), "battery " + ("low" if low else "normal"))

    async def reboot(self, device: str) -> None:
        await self.notify(device, self.device(device).reboot(self.clock()), "rebooted")

    def misbehave(self, device: str, *, silent: bool | None = None, answer_limit: int | None = None,
                  error_after: int | None = None) -> None:
        """Misbehaviour switches (see :class:`SimDevice`); ``answer_limit`` counts from now."""
        target = self.device(device)
        if silent is not None:
            target.silent = silent
        target.requests = 0
        target.answer_limit = answer_limit
        target.error_after = error_after
        self.say(f"{device}: misbehaving (silent={target.silent}, answer_limit={answer_limit}, error_after={error_after})")

    # --- traps -----------------------------------------------------------------------------
    async def notify(self, device_name: str, notifications: list[Notification], what: str) -> None:
        device = self.device(device_name)
        self.say(f"{device_name}: {what}" + (f" -> {', '.join(describe(n) for n in notifications)}" if notifications else ""))
        for notification in notifications:
            for target in self.trap_targets:
                await self.send_trap(device, notification, target)

    async def send_trap(self, device: SimDevice, notification: Notification, target: tuple[str, int]) -> None:
        trap_oid, varbinds = notification
        full = [(oids.SYS_UPTIME, ("ticks", device.uptime(self.clock()))), (oids.SNMP_TRAP_OID, ("oid", trap_oid)),
                *varbinds]
        if self.trap_version == "v3":
            await self._send_v3(device, full, target)
        else:
            transport = await self._trap_socket(device.address)
            transport.sendto(self.encode_community_trap(device, trap_oid, full), target)
        self.traps_sent += 1

    def encode_community_trap(self, device: SimDevice, trap_oid, varbinds) -> bytes:
        """A v1 or v2c trap message (per ``trap_version``) as bytes."""
        if self.trap_version == "v2c":
            module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
            pdu = module.SNMPv2TrapPDU()
            module.apiTrapPDU.set_defaults(pdu)
            module.apiPDU.set_varbinds(pdu, [(oid, to_pysnmp(value)) for oid, value in varbinds])
        else:
            module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
            pdu = module.TrapPDU()
            module.apiTrapPDU.set_defaults(pdu)
            generic = trap_oid[-1] - 1 if oids.is_under(trap_oid, oids.SNMP_TRAPS) else 6
            enterprise = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10) if generic != 6 else trap_oid[:-1]
            module.apiTrapPDU.set_enterprise(pdu, enterprise)
            module.apiTrapPDU.set_agent_address(pdu, device.address)
            module.apiTrapPDU.set_generic_trap(pdu, generic)
            module.apiTrapPDU.set_specific_trap(pdu, 0 if generic != 6 else trap_oid[-1])
            module.apiTrapPDU.set_timestamp(pdu, varbinds[0][1][1])
            module.apiTrapPDU.set_varbinds(pdu, [(oid, to_pysnmp(value)) for oid, value in varbinds[2:]])
        message = module.Message()
        module.apiMessage.set_defaults(message)
        module.apiMessage.set_community(message, device.community if self.trap_community is None else self.trap_community)
        module.apiMessage.set_pdu(message, pdu)
        return encoder.encode(message)

    async def _trap_socket(self, address: str) -> asyncio.DatagramTransport:
        transport = self._trap_sockets.get(address)
        if transport is None:
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=(address, 0))
            self._trap_sockets[address] = transport
        return transport

    async def _send_v3(self, device: SimDevice, varbinds, target: tuple[str, int]) -> None:
        snmp_engine = self._trap_engines.get(device.name)
        if snmp_engine is None:
            snmp_engine = await asyncio.get_running_loop().run_in_executor(
                None, lambda: preload_mib_modules(hlapi.SnmpEngine(snmpEngineID=rfc1902.OctetString(device.engine_id))))
            self._trap_engines[device.name] = snmp_engine
        transport = await hlapi.UdpTransportTarget.create(target, timeout=1, retries=0)
        transport.set_local_address((device.address, 0))
        error_indication, _, _, _ = await hlapi.send_notification(
            snmp_engine, self.v3_user.hlapi_user(), transport, hlapi.ContextData(), "trap",
            *[hlapi.ObjectType(hlapi.ObjectIdentity(oid), to_pysnmp(value)) for oid, value in varbinds])
        if error_indication:
            self.say(f"{device.name}: v3 trap failed: {error_indication}")

    async def stop(self) -> None:
        for transport in self._trap_sockets.values():
            transport.close()
        for snmp_engine in [self._engine, *self._trap_engines.values()]:
            if snmp_engine is not None and snmp_engine.transport_dispatcher is not None:
                snmp_engine.transport_dispatcher.close_dispatcher()
        self._trap_sockets.clear()
        self._trap_engines.clear()
        self.say("SNMP agent stopped")
