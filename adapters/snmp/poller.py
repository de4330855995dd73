"""SNMP polling on pysnmp 7's asyncio hlapi: GETs and subtree-bounded bulk walks, numeric OIDs.

pysnmp's hlapi resolves every OID through a MIB view, and building that view reads MIB modules
from disk: :meth:`Poller.create` builds and warms it on the hub's thread pool, so requests on the
loop do no file I/O. Walks pass ``lexicographicMode=False`` (the default would walk past the
subtree) and ``lookupMib=False`` (answers stay numeric).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pysnmp.hlapi.v3arch import asyncio as hlapi
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.varbinds import CommandGeneratorVarBinds
from pysnmp.proto import errind

from .oids import OID, format_oid, is_under
from .receiver import preload_mib_modules
from .usm import UsmUser
from .values import plain, plain_varbinds


class PollError(Exception):
    """A request failed: ``kind`` is ``timeout`` (no answer) or ``error`` (an error answer)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclasses.dataclass
class Target:
    """How to reach one device."""

    auth: Any  # hlapi.CommunityData | hlapi.UsmUserData
    transport: Any  # hlapi.UdpTransportTarget
    context: Any  # hlapi.ContextData

    @classmethod
    async def create(cls, host: str, port: int, *, version: str, community: str = "", user: UsmUser | None = None,
                     context_name: str = "", timeout: float = 2.0, retries: int = 1) -> Target:
        if version == "v3":
            if user is None:
                raise ValueError("SNMPv3 polling needs a user")
            auth = user.hlapi_user()
        else:
            auth = hlapi.CommunityData(community, mpModel=0 if version == "v1" else 1)
        target_class = hlapi.Udp6TransportTarget if ":" in host else hlapi.UdpTransportTarget
        transport = await target_class.create((host, port), timeout=timeout, retries=retries)
        return cls(auth, transport, hlapi.ContextData(contextName=context_name.encode()))


def _warm(snmp_engine) -> None:
    """Load the MIB view the hlapi resolves OIDs with (file I/O: call off the loop)."""
    view = CommandGeneratorVarBinds.get_mib_view_controller(snmp_engine.cache)
    hlapi.ObjectType(hlapi.ObjectIdentity("1.3.6.1.2.1.1.3.0")).resolve_with_mib(view)


class Poller:
    """Issues requests for every device from one engine. Build with :meth:`create`."""

    def __init__(self, snmp_engine, *, max_repetitions: int = 25, max_rows: int = 50_000) -> None:
        self.engine = snmp_engine
        self.max_repetitions = max_repetitions
        self.max_rows = max_rows

    @classmethod
    async def create(cls, run_blocking, **kwargs) -> Poller:
        def build():
            snmp_engine = preload_mib_modules(hlapi.SnmpEngine())
            _warm(snmp_engine)
            return snmp_engine
        return cls(await run_blocking(build), **kwargs)

    async def register(self, targets: Sequence[Target], run_blocking) -> None:
        """Register every target with the engine before polling starts.

        pysnmp registers a target on its first request, and every registration makes the engine
        rebuild its transport map (O(targets)) on the next answer: 1000 switches polled for the
        first time cost ~30 s of CPU on the loop. Registered up front, the map is built once. The
        first target of each transport opens its socket on the loop; the rest are table writes,
        done on the thread pool while nothing else uses this engine.
        """
        configurator = CommandGeneratorLcdConfigurator()
        opened: set = set()
        rest = []
        for target in targets:
            if target.transport.TRANSPORT_DOMAIN in opened:
                rest.append(target)
                continue
            configurator.configure(self.engine, target.auth, target.transport, target.context.contextName)
            opened.add(target.transport.TRANSPORT_DOMAIN)

        def configure_rest() -> None:
            for target in rest:
                configurator.configure(self.engine, target.auth, target.transport, target.context.contextName)

        await run_blocking(configure_rest)

    @staticmethod
    def _check(error_indication, error_status, error_index, varbinds) -> None:
        if error_indication:
            timed_out = isinstance(error_indication, errind.RequestTimedOut)
            raise PollError("timeout" if timed_out else "error", str(error_indication))
        if error_status:
            where = ""
            if error_index and 0 < int(error_index) <= len(varbinds):
                where = f" at {format_oid(tuple(varbinds[int(error_index) - 1][0]))}"
            raise PollError("error", f"{error_status.prettyPrint() if hasattr(error_status, 'prettyPrint') else error_status}{where}")

    async def get(self, target: Target, names: Sequence[OID]) -> dict[OID, Any]:
        """GET ``names``; absent ones (noSuchObject/Instance) map to None."""
        result = await hlapi.get_cmd(
            self.engine, target.auth, target.transport, target.context,
            *[hlapi.ObjectType(hlapi.ObjectIdentity(name)) for name in names], lookupMib=False)
        self._check(*result)
        return {tuple(name): plain(value) for name, value in result[3]}

    async def walk(self, target: Target, subtree: OID) -> list[tuple[OID, Any]]:
        """Every (oid, value) under ``subtree`` with GETBULK (GETNEXT for v1), stopping at its end."""
        rows: list[tuple[OID, Any]] = []
        start = hlapi.ObjectType(hlapi.ObjectIdentity(subtree))
        if getattr(target.auth, "mpModel", 1) == 0:
            walker = hlapi.walk_cmd(self.engine, target.auth, target.transport, target.context, start,
                                    lexicographicMode=False, lookupMib=False)
        else:
            walker = hlapi.bulk_walk_cmd(self.engine, target.auth, target.transport, target.context, 0,
                                         self.max_repetitions, start, lexicographicMode=False, lookupMib=False)
        async for error_indication, error_status, error_index, varbinds in walker:
            self._check(error_indication, error_status, error_index, varbinds)
            for oid, value in plain_varbinds(varbinds):
                if not is_under(oid, subtree) or value is None:
                    continue
                rows.append((oid, value))
            if len(rows) > self.max_rows:
                raise PollError("error", f"walk of {format_oid(subtree)} exceeded {self.max_rows} rows")
        return rows

    def rediscover(self, target: Target) -> bool:
        """Forget the SNMPv3 engine id discovered for ``target``: its next request discovers it anew.

        pysnmp keeps a discovered engine id per peer address and goes on sending with it; an agent
        that restarted with a new engine id (replaced, reset, firmware update) rejects those
        requests, so polls time out. pysnmp has no API for this: the cache is its v3 message
        processing model's private table, keyed by (transport domain, address), with an expiry
        queue that must lose the key too (it deletes what it lists)."""
        model = self.engine.message_processing_subsystems.get(3)
        cache = getattr(model, "_SnmpV3MessageProcessingModel__engineIdCache", None)
        expiry = getattr(model, "_SnmpV3MessageProcessingModel__engineIdCacheExpQueue", None)
        if cache is None or expiry is None:
            return False  # a pysnmp that moved it (tests/snmp/test_snmp_poller.py says so)
        address = tuple(target.transport.transport_address)[:2]
        for key in [k for k in cache if tuple(k[1])[:2] == address]:
            del cache[key]
            for keys in expiry.values():
                while key in keys:
                    keys.remove(key)
        return True

    def close(self) -> None:
        if self.engine.transport_dispatcher is not None:
            self.engine.transport_dispatcher.close_dispatcher()
