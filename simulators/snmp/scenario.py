"""Simulator fleets and scenarios: which devices exist and what happens to them, when.

A scenario file (YAML)::

    devices:
      - {name: sw-core-1, ports: 24, macs: {"00:1a:2b:3c:4d:5e": 3}}
      - {name: ups-1, ups: true, address: 127.0.1.9}
    steps:
      - {after: 2, do: port_down, device: sw-core-1, port: 3}
      - {after: 2, do: move_mac, device: sw-core-1, mac: "00:1a:2b:3c:4d:5e", port: 5}
      - {after: 1, do: mains_off, device: ups-1}
      - {after: 5, do: mains_on, device: ups-1}

``after`` is seconds after the previous step. Actions: port_down, port_up (port: the link),
port_shutdown, port_enable (port: an administrator shuts or enables it), move_mac
(mac, port: the MAC is learned there and forgotten everywhere else), forget_mac (mac), mains_off,
mains_on, battery_low, battery_normal, reboot, silent, answer (undo silent / limits),
answer_limit (count: answer that many more requests, then go silent), error_after (count).
"""
from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Literal

import pydantic

from hub.config.yaml_model import load_yaml_model
from simulators.scenario_files import ScenarioFileError

from .agent import SnmpSimulator
from .model import SimDevice, mac_bytes

ACTIONS = ("port_down", "port_up", "port_shutdown", "port_enable", "move_mac", "forget_mac", "mains_off", "mains_on", "battery_low",
           "battery_normal", "reboot", "silent", "answer", "answer_limit", "error_after")


class DeviceSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = pydantic.Field(description="device name (also its SNMPv3 context name)")
    address: str | None = pydantic.Field(None, description="loopback IP it answers on; default: allocated")
    community: str = pydantic.Field("public", description="v2c community it answers to and sends traps with")
    engine_id: str | None = pydantic.Field(None, description="SNMPv3 engine id as hex (default derived from name)")
    ports: int = pydantic.Field(0, ge=0, le=4096, description="switch ports (0: not a switch)")
    if_index_base: int = pydantic.Field(0, ge=0, description="ifIndex of port N is base + N")
    vlan: int = pydantic.Field(1, ge=1, le=4094, description="VLAN (Q-BRIDGE fdbId) of learned MACs")
    ups: bool = pydantic.Field(False, description="serve UPS-MIB")
    macs: dict[str, int] = pydantic.Field(default_factory=dict, description="MAC -> port learned at start")

    @pydantic.field_validator("macs")
    @classmethod
    def _macs(cls, value: dict[str, int]) -> dict[str, int]:
        for mac in value:
            mac_bytes(mac)
        return value


class Step(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    after: float = pydantic.Field(1.0, ge=0, description="seconds after the previous step")
    do: Literal[ACTIONS] = pydantic.Field(description="the action")  # type: ignore[valid-type]
    device: str
    port: int | None = None
    mac: str | None = None
    count: int | None = pydantic.Field(None, ge=0)

    @pydantic.model_validator(mode="after")
    def _needs(self) -> Step:
        needs = {"port_down": ("port",), "port_up": ("port",), "port_shutdown": ("port",), "port_enable": ("port",), "move_mac": ("mac", "port"), "forget_mac": ("mac",),
                 "answer_limit": ("count",), "error_after": ("count",)}.get(self.do, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"action {self.do} needs {', '.join(missing)}")
        return self


class Scenario(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    devices: list[DeviceSpec] = pydantic.Field(default_factory=list)
    steps: list[Step] = pydantic.Field(default_factory=list)


def load_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse YAML scenario ``text`` (named ``source`` in problems); :class:`ScenarioFileError`
    lists every problem with file:line:column, as the hub config check does."""
    scenario, _, problems = load_yaml_model(text, source, Scenario)
    if scenario is None:
        raise ScenarioFileError(problems)
    return scenario


def build_devices(specs: list[DeviceSpec], first_address: str = "127.0.1.1") -> list[SimDevice]:
    next_address = ipaddress.IPv4Address(first_address)
    devices = []
    for spec in specs:
        address = spec.address or str(next_address)
        if spec.address is None:
            next_address += 1
        device = SimDevice(spec.name, address=address, community=spec.community,
                           engine_id=bytes.fromhex(spec.engine_id) if spec.engine_id else None,
                           ports=spec.ports, if_index_base=spec.if_index_base, vlan=spec.vlan, ups=spec.ups)
        for mac, port in spec.macs.items():
            device.learn(mac, port)
        devices.append(device)
    return devices


def fleet(switches: int, upses: int = 0, *, ports: int = 24, macs_per_port: int = 1,
          first_index: int = 1) -> list[DeviceSpec]:
    """A generated fleet: ``sw-0001``... with ``macs_per_port`` terminals on each port, ``ups-0001``...
    (numbered from ``first_index``, which also keeps MACs unique across simulator processes)."""
    specs = []
    for i in range(first_index, first_index + switches):
        macs = {f"02:5e:{i >> 8 & 0xFF:02x}:{i & 0xFF:02x}:{p & 0xFF:02x}:{k & 0xFF:02x}": p
                for p in range(1, ports + 1) for k in range(macs_per_port)}
        specs.append(DeviceSpec(name=f"sw-{i:04d}", ports=ports, macs=macs))
    specs += [DeviceSpec(name=f"ups-{i:04d}", ups=True) for i in range(first_index, first_index + upses)]
    return specs


async def apply(sim: SnmpSimulator, step: Step) -> None:
    """Do one step now."""
    device = step.device
    match step.do:
        case "port_down" | "port_up":
            await (sim.port_down if step.do == "port_down" else sim.port_up)(device, step.port)
        case "port_shutdown" | "port_enable":
            await sim.port_admin(device, step.port, step.do == "port_enable")
        case "move_mac":
            await sim.learn_mac(device, step.mac, step.port)
        case "forget_mac":
            await sim.forget_mac(device, step.mac)
        case "mains_off" | "mains_on":
            await sim.mains(device, step.do == "mains_on")
        case "battery_low" | "battery_normal":
            await sim.battery_low(device, step.do == "battery_low")
        case "reboot":
            await sim.reboot(device)
        case "silent":
            sim.misbehave(device, silent=True)
        case "answer":
            sim.misbehave(device, silent=False)
        case "answer_limit":
            sim.misbehave(device, answer_limit=step.count)
        case "error_after":
            sim.misbehave(device, error_after=step.count)


async def run_steps(sim: SnmpSimulator, steps: list[Step],
                    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    for step in steps:
        await sleep(step.after)
        await apply(sim, step)
