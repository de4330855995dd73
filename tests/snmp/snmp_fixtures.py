"""Shared helpers: a simulator fleet and the adapter on a RecordingContext, over loopback."""
from __future__ import annotations

import asyncio
import contextlib
import shutil

from adapters.snmp.adapter import SnmpAdapter
from adapters.snmp.options import SnmpDeviceOptions, SnmpOptions
from hub.events import Site
from hub.spi import DeviceSpec, Upstream
from hub.spi.testing import RecordingContext
from simulators.snmp.agent import SnmpSimulator, V3User
from simulators.snmp.model import SimDevice

SITE = Site(region_code="140802", school_id="sch-1")
AUTH_KEY, PRIV_KEY = "authpass123", "privpass123"
TERMINAL_A = "00:1a:2b:3c:4d:5e"
TERMINAL_B = "ac:de:48:00:11:22"
NET_SNMP = shutil.which("snmptrap") and shutil.which("snmpget") and shutil.which("snmpwalk")
NO_NET_SNMP = "net-snmp tools (snmptrap/snmpget/snmpwalk) not installed: apt-get install snmp"


def fleet() -> list[SimDevice]:
    switch_1 = SimDevice("sw-1", address="127.0.1.1", ports=8, if_index_base=100)
    switch_1.learn(TERMINAL_A, 3)
    switch_1.learn(TERMINAL_B, 5)
    switch_2 = SimDevice("sw-2", address="127.0.1.2", ports=8)
    ups = SimDevice("ups-1", address="127.0.1.3", ups=True)
    return [switch_1, switch_2, ups]


def device_specs(port: int, **overrides) -> list[DeviceSpec]:
    common = {**dict(port=port, poll_interval=0.25, timeout=0.3, retries=0), **overrides}
    return [
        DeviceSpec(id="sw-1", kind="switch", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
            host="127.0.1.1", terminals=True, terminal_interval=0.2, engine_id=SimDevice("sw-1").engine_id.hex(),
            **common)),
        DeviceSpec(id="sw-2", kind="switch", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
            host="127.0.1.2", terminals=True, terminal_interval=0.2, fdb_mib="bridge", **common)),
        DeviceSpec(id="ups-1", kind="ups", adapter="snmp", site=SITE, options=SnmpDeviceOptions(
            host="127.0.1.3", interfaces=False, ups=True, **common)),
    ]


CAMERA = DeviceSpec(id="cam-gate", kind="camera", adapter="onvif", site=SITE, upstream=Upstream("sw-1", 103))


def adapter_options(**overrides) -> SnmpOptions:
    values = dict(trap_host="127.0.0.1", trap_port=0, terminal_gone_after=1.0, users=[
        {"name": "trapuser", "auth_protocol": "sha256", "auth_key": AUTH_KEY, "priv_protocol": "aes",
         "priv_key": PRIV_KEY, "engine_ids": ["8000000001020304"]}])
    values.update(overrides)
    return SnmpOptions.model_validate(values)


class Rig:
    """Simulator + adapter, wired: the simulator sends its traps to the adapter."""

    def __init__(self, sim: SnmpSimulator, adapter: SnmpAdapter, ctx: RecordingContext, task: asyncio.Task) -> None:
        self.sim, self.adapter, self.ctx, self.task = sim, adapter, ctx, task

    @classmethod
    async def start(cls, *, trap_version: str = "v2c", options: SnmpOptions | None = None,
                    journal_delay: float = 0.0, devices: list[SimDevice] | None = None, **device_overrides) -> Rig:
        sim = await SnmpSimulator.start(devices or fleet(), trap_version=trap_version,
                                        v3_user=V3User("trapuser", AUTH_KEY, PRIV_KEY))
        rig = cls(sim, None, None, None)
        await rig.start_hub(options, journal_delay=journal_delay, **device_overrides)
        return rig

    async def start_hub(self, options: SnmpOptions | None = None, *, journal_delay: float = 0.0,
                        **device_overrides) -> None:
        """Start the adapter (again, after :meth:`stop_hub`: a hub restart) on a fresh context."""
        self.ctx = RecordingContext("snmp", device_specs(self.sim.port, **device_overrides),
                                    journal_delay=journal_delay, other_devices=[CAMERA])
        self.adapter = SnmpAdapter(self.ctx, options or adapter_options())
        self.task = asyncio.ensure_future(self.adapter.run())
        await asyncio.wait_for(self.adapter.wait_ready(), 10)
        self.sim.trap_targets[:] = [("127.0.0.1", self.adapter.trap_port)]

    async def stop_hub(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.ctx.close()

    async def stop(self) -> None:
        await self.stop_hub()
        await self.sim.stop()


async def run_tool(*argv: str, timeout: float = 15) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


def polls(rig: Rig) -> float:
    return rig.ctx.metrics.total("snmp_polls", result="ok")
