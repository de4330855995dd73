"""Trap and inform receiver on pysnmp 7 (asyncio): v1/v2c communities, v3 USM per sender engine id.

pysnmp authenticates and decodes; this module adds what it lacks for a hub: every datagram it
rejects (bad BER, unknown community or user, wrong keys) is classified from pysnmp's own counters,
attributed to its sender by :func:`~adapters.snmp.envelope.peek_envelope`, logged and counted.
The engine is configured off the loop (pysnmp loads its MIB modules from disk while doing so).
"""
from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable, Sequence

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902, rfc3411
from pysnmp.proto.api import v1, v2c
from pysnmp.proto.proxy import rfc2576

from .envelope import Envelope, EnvelopeError, peek_envelope
from .oids import SNMP_TRAPS
from .usm import UsmUser
from .values import plain_varbinds

# pysnmp's counters of rejected messages -> our reason names. The two "sync" ones are the normal
# first steps of an SNMPv3 inform sender (engine id discovery, time synchronisation).
REJECTION_COUNTERS = (
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "malformed"),
    ("__SNMPv2-MIB", "snmpInBadVersions", "bad_version"),
    ("__SNMPv2-MIB", "snmpInBadCommunityNames", "bad_community"),
    ("__SNMP-MPD-MIB", "snmpUnknownSecurityModels", "unknown_security_model"),
    ("__SNMP-MPD-MIB", "snmpInvalidMsgs", "invalid_message"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown_user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "wrong_digest"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "decryption_error"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "unsupported_security_level"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownEngineIDs", "sync:unknown_engine_id"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "sync:not_in_time_window"),
)
VERSIONS = {0: "v1", 1: "v2c", 3: "v3"}
RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes asked for; the kernel caps it at net.core.rmem_max


INSTRUMENTATION_MODULES = (
    "__PYSNMP-USM-MIB", "__SNMP-FRAMEWORK-MIB", "__SNMP-MPD-MIB", "__SNMP-TARGET-MIB",
    "__SNMP-USER-BASED-SM-MIB", "__SNMP-VIEW-BASED-ACM-MIB", "__SNMPv2-MIB",
)


def preload_mib_modules(snmp_engine: engine.SnmpEngine) -> engine.SnmpEngine:
    """Load pysnmp's instrumentation MIB modules (blocking file I/O: call off the loop).

    An engine imports its instrumentation modules lazily, e.g. on the first message it receives;
    loaded up front, nothing touches the disk on the loop later.
    """
    snmp_engine.get_mib_builder().load_modules(*INSTRUMENTATION_MODULES)
    return snmp_engine


@dataclasses.dataclass(frozen=True)
class Notification:
    """A notification pysnmp accepted, with who sent it."""

    source: tuple[str, int]
    version: str  # v1 | v2c | v3
    security_name: str  # the v3 user, or the community's index (never the community itself)
    community_index: int | None  # index into the configured communities (v1/v2c)
    engine_id: bytes | None  # v3 sender's engine id
    inform: bool
    varbinds: list  # plain (oid, value) pairs, v2 form
    datagram: bytes


@dataclasses.dataclass(frozen=True)
class Rejection:
    source: tuple[str, int]
    reason: str
    envelope: Envelope | None
    datagram: bytes


class _JournaledNotificationReceiver(ntfrcv.NotificationReceiver):
    """pysnmp's receiver answers an inform before the application sees it; this one answers only
    once the receiver's callback says the notification is journaled (durable before acknowledged).
    If journaling fails no answer goes out, so the sender retries."""

    def __init__(self, snmp_engine, accept: Callable) -> None:
        super().__init__(snmp_engine, None)
        self._deliver = accept

    def process_pdu(self, snmpEngine, messageProcessingModel, securityModel, securityName, securityLevel,
                    contextEngineId, contextName, pduVersion, PDU, maxSizeResponseScopedPDU, stateReference):
        if messageProcessingModel == 0:
            community = getattr(self, "_NotificationReceiver__snmpTrapCommunity", "")
            PDU = _v1_to_v2(PDU, community)
        varbinds = v2c.apiPDU.get_varbinds(PDU)
        confirmed = PDU.tagSet in rfc3411.CONFIRMED_CLASS_PDUS
        journaled = self._deliver(varbinds, confirmed)
        if not confirmed:
            return

        def respond(future: asyncio.Future | None = None) -> None:
            if future is not None and (future.cancelled() or future.exception() is not None):
                return
            response = v2c.apiPDU.get_response(PDU)
            v2c.apiPDU.set_error_status(response, 0)
            v2c.apiPDU.set_error_index(response, 0)
            v2c.apiPDU.set_varbinds(response, varbinds)
            try:
                snmpEngine.message_dispatcher.return_response_pdu(
                    snmpEngine, messageProcessingModel, securityModel, securityName, securityLevel,
                    contextEngineId, contextName, pduVersion, response, maxSizeResponseScopedPDU,
                    stateReference, {})
            except Exception:  # noqa: BLE001 - the sender retries; nothing to repair here
                pass

        if journaled is None:
            respond()
        else:
            journaled.add_done_callback(respond)


class _Observed:
    """Mixin for pysnmp's UDP transports: each datagram is processed under our watch."""

    watcher: TrapReceiver

    def datagram_received(self, datagram, transportAddress):
        self.loop.call_soon(self.watcher._process, self, transportAddress, datagram)


class _ObservedUdpTransport(_Observed, udp.UdpAsyncioTransport):
    pass


class _ObservedUdp6Transport(_Observed, udp6.Udp6AsyncioTransport):
    pass


class TrapReceiver:
    """Receive traps/informs on a UDP port; call ``on_notification`` / ``on_rejection`` for each.

    ``on_notification`` may return a future: an inform is answered once it resolves (journaled).

    Start with :meth:`start` (``port=0`` picks a free port: read :attr:`port`); :meth:`close`.
    """

    def __init__(self, on_notification: Callable[[Notification], asyncio.Future | None], on_rejection: Callable[[Rejection], None],
                 on_error: Callable[[BaseException, tuple], None]) -> None:
        self.on_notification = on_notification
        self.on_rejection = on_rejection
        self.on_error = on_error
        self.port = 0
        self.engine: engine.SnmpEngine | None = None
        self._counters: list[tuple[str, object]] = []
        self._request: dict | None = None
        self._accepted = False

    @staticmethod
    def build_engine(communities: Sequence[str], users: Sequence[UsmUser]) -> engine.SnmpEngine:
        """Configure an engine (blocking: run it off the loop)."""
        snmp_engine = preload_mib_modules(engine.SnmpEngine())
        for i, community in enumerate(communities):
            config.add_v1_system(snmp_engine, f"community-{i}", community)
        for user in users:
            keys = user.protocols()
            config.add_v3_user(snmp_engine, user.name, *keys)  # informs: we are authoritative
            for engine_id in user.engine_ids:  # traps: the sender is authoritative
                config.add_v3_user(snmp_engine, user.name, *keys, securityEngineId=_octets(engine_id))
        return snmp_engine

    @classmethod
    async def start(cls, *, host: str, port: int, communities: Sequence[str], users: Sequence[UsmUser],
                    on_notification, on_rejection, on_error,
                    run_blocking=None) -> TrapReceiver:
        receiver = cls(on_notification, on_rejection, on_error)
        loop = asyncio.get_running_loop()
        build = lambda: cls.build_engine(communities, users)  # noqa: E731
        snmp_engine = await (run_blocking(build) if run_blocking else loop.run_in_executor(None, build))
        receiver.engine = snmp_engine
        builder = snmp_engine.get_mib_builder()
        receiver._counters = [(reason, builder.import_symbols(module, name)[0]) for module, name, reason in REJECTION_COUNTERS]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            # a trap storm (a switch stack rebooting) arrives in one burst: let the kernel hold it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        receiver.port = sock.getsockname()[1]
        ipv4 = family == socket.AF_INET
        transport = (_ObservedUdpTransport if ipv4 else _ObservedUdp6Transport)(loop=loop)
        transport.watcher = receiver
        domain = udp.DOMAIN_NAME if ipv4 else udp6.DOMAIN_NAME
        config.add_transport(snmp_engine, domain, transport.open_server_mode(sock=sock))
        snmp_engine.observer.register_observer(receiver._remember_request, "rfc3412.receiveMessage:request")
        _JournaledNotificationReceiver(snmp_engine, receiver._accept)
        return receiver

    def _remember_request(self, snmp_engine, execpoint, variables, cb_ctx) -> None:
        self._request = variables

    def _snapshot(self) -> list[int]:
        return [int(counter.syntax) for _, counter in self._counters]

    def _process(self, transport, address, datagram: bytes) -> None:
        """Let pysnmp process one datagram (synchronously) and classify what became of it."""
        if self.engine is None:  # read just before close(): the engine is gone, nobody waits for it
            return
        before = self._snapshot()
        self._request, self._accepted = None, False
        try:
            transport._callback_function(transport, address, datagram)
        except Exception as exc:  # pysnmp must never take the receiver down
            if raised_by_ber_decoder(exc):  # pyasn1 raises TypeError/OverflowError on some bad BER
                self.on_rejection(Rejection(tuple(address)[:2], "malformed", None, datagram))
            else:
                self.on_error(exc, tuple(address))
            return
        if self._accepted:
            return
        reasons = [reason for (reason, _), old, new in zip(self._counters, before, self._snapshot()) if new > old]
        try:
            envelope = peek_envelope(datagram)
        except EnvelopeError:
            envelope = None
        if not reasons:
            if envelope is not None and envelope.pdu_type in ("trap", "trap-v1", "inform") or envelope is None:
                reasons = ["malformed" if envelope is None else "not_a_notification"]
            else:
                reasons = ["not_a_notification"]
        for reason in reasons:
            self.on_rejection(Rejection(tuple(address)[:2], reason, envelope, datagram))

    def _accept(self, varbinds, inform: bool) -> asyncio.Future | None:
        self._accepted = True
        request = self._request or {}
        datagram = bytes(request.get("wholeMsg", b""))
        security_name = str(request.get("securityName", ""))
        model = int(request.get("messageProcessingModel", 1))
        engine_id = None
        if model == 3 and not inform:  # an inform's authoritative engine is ours, not the sender's
            try:
                engine_id = peek_envelope(datagram).engine_id
            except EnvelopeError:
                pass
        community_index = None
        if security_name.startswith("community-"):
            community_index = int(security_name.removeprefix("community-"))
        return self.on_notification(Notification(
            source=tuple(request.get("transportAddress", ("", 0)))[:2], version=VERSIONS.get(model, str(model)),
            security_name=security_name, community_index=community_index, engine_id=engine_id,
            inform=inform, varbinds=plain_varbinds(varbinds), datagram=datagram,
        ))

    def close(self) -> None:
        if self.engine is not None and self.engine.transport_dispatcher is not None:
            self.engine.transport_dispatcher.close_dispatcher()
        self.engine = None


def _v1_to_v2(pdu, community: str):
    """RFC 3584 translation of a v1 trap. A generic-trap outside 0..6 has no SNMPv2 equivalent
    (pysnmp raises KeyError); it becomes snmpTraps.(generic + 1), the RFC's own rule carried on, so
    the trap is kept as an unknown trap with its varbinds. Negative ones (no OID arc can hold them)
    are translated as enterprise-specific. A negative specific-trap cannot be an arc either (pyasn1
    raises): it is read as the unsigned 32-bit value an agent with a signed encoder meant."""
    specific = int(v1.apiTrapPDU.get_specific_trap(pdu))
    if specific < 0:
        v1.apiTrapPDU.set_specific_trap(pdu, specific % 2**32)
    generic = int(v1.apiTrapPDU.get_generic_trap(pdu))
    if 0 <= generic <= 6:
        return rfc2576.v1_to_v2(pdu, snmpTrapCommunity=community)
    v1.apiTrapPDU.set_generic_trap(pdu, 6)
    translated = rfc2576.v1_to_v2(pdu, snmpTrapCommunity=community)
    if generic > 6:
        varbinds = v2c.apiPDU.get_varbinds(translated)
        varbinds[1] = (v2c.apiTrapPDU.snmpTrapOID, v2c.ObjectIdentifier(SNMP_TRAPS + (generic + 1,)))
        v2c.apiPDU.set_varbinds(translated, varbinds)
    return translated


def raised_by_ber_decoder(exc: BaseException) -> bool:
    """Whether ``exc`` came out of pyasn1's BER decoder, i.e. the datagram is malformed."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__", "").startswith("pyasn1.codec."):
            return True
        frame = frame.tb_next
    return False


def _octets(engine_id: bytes) -> rfc1902.OctetString:
    return rfc1902.OctetString(engine_id)
