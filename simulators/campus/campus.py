"""A whole simulated campus in one process: the four simulators, started from a scenario plan.

    campus = await SimulatedCampus.start(plan, sia_port=55001, trap_port=10162)
    text = await campus.apply(step)          # one timeline step, returns what happened in words
    await campus.stop()

Fire panels are served by :class:`~simulators.fire_panel.server.FirePanelSimulator` (one Modbus
endpoint per school: the school's serial converter), cameras by
:class:`~simulators.camera.simulator.CameraSimulator` (an HTTP port each), switches and UPSes by
:class:`~simulators.snmp.agent.SnmpSimulator` (a loopback address each, one UDP port, traps to the
hub), and one-button alarms and intrusion panels by one
:class:`~simulators.sia.transmitter.SiaTransmitter` each, sending to the hub's receiver port.

A family whose simulator cannot start (not installed, broken) is left out and named in
:attr:`SimulatedCampus.missing`; the others run.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from simulators.campus.credentials import Credentials
from simulators.campus.scenario import CampusPlan, PlannedDevice, TimelineStep
from simulators.campus.vocabulary import SIA_CODES, expected_event, params_model

__all__ = ["FAMILIES", "Observer", "SimulatedCampus"]

FAMILIES = ("modbus", "onvif", "snmp", "sia")
#: Called as observe(device_id, event_type, state, wall_time) when a device is made to do
#: something the hub should turn into an event (benchmarks time the delay with it).
Observer = Callable[[str, str, str, float], None]
Printer = Callable[[str], None]

CAMERA_USER = "admin"


def _quiet(line: str) -> None:
    pass


@dataclasses.dataclass
class _Transmitter:
    """A SIA transmitter and the lock that keeps its messages one at a time (DC-09 is stop-and-wait).

    While its network is cut (the switch port it hangs off is down) it holds its messages, as a
    panel buffers events, and sends them when the link is back."""

    tx: Any
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    linked: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.linked.set()

    async def send(self, make) -> Any:
        async with self.lock:
            await self.linked.wait()
            return await make(self.tx)


class SimulatedCampus:
    def __init__(self, plan: CampusPlan, host: str, say: Printer, detail: Printer,
                 credentials: Credentials | None = None) -> None:
        self.plan = plan
        self.host = host
        self.say = say
        self.detail = detail
        self.missing: dict[str, str] = {}
        self.fire = None  # FirePanelSimulator
        self.cameras = None  # CameraSimulator
        self.snmp = None  # SnmpSimulator
        self.transmitters: dict[str, _Transmitter] = {}
        self.credentials = credentials or Credentials.create()
        self.camera_password = self.credentials.camera_password
        self.sia_key_hex = self.credentials.sia_key_hex if plan.scenario.sia_encrypted else None
        self.sia_port = 0
        self.trap_port = 0
        #: Devices left silent on purpose (a fault nobody repaired): the hub is not waited for on them.
        self.left_silent: set[str] = set()
        self.observe: Observer | None = None
        self._snmp_addresses: dict[str, str] = {}
        self._next_port = 0  # 0: every listener on a free port the OS picks
        self._sia_listening = False

    def _ports(self, count: int) -> int:
        """The first of ``count`` consecutive fixed ports (0 when ports are allocated)."""
        first = self._next_port
        if first:
            self._next_port += count
        return first

    # --- lifecycle ------------------------------------------------------------------------------
    @classmethod
    async def start(cls, plan: CampusPlan, *, sia_port: int, trap_port: int, host: str = "127.0.0.1",
                    say: Printer = print, detail: Printer | None = None,
                    families: tuple[str, ...] = FAMILIES, first_port: int = 0,
                    credentials: Credentials | None = None) -> SimulatedCampus:
        """Start every simulated device of ``plan``. ``sia_port`` and ``trap_port`` are where the hub
        will listen (SIA receiver, SNMP trap receiver). ``detail`` gets the simulators' own lines.
        ``first_port``: fixed ports from there on (Modbus endpoints, then cameras, then the SNMP
        agent), so that a written hub config stays right across restarts; 0 allocates free ports.
        ``credentials``: camera password and SIA key (default: new ones)."""
        campus = cls(plan, host, say, detail or _quiet, credentials)
        campus.sia_port, campus.trap_port = sia_port, trap_port
        campus._next_port = first_port
        starters = {"modbus": campus._start_fire_panels, "onvif": campus._start_cameras,
                    "snmp": campus._start_snmp, "sia": campus._start_transmitters}
        for family in FAMILIES:
            if not plan.of_family(family):
                continue
            if family not in families:
                campus.missing[family] = "left out on request"
                continue
            try:
                await starters[family]()
            except Exception as exc:  # a broken family must not take the campus down
                campus.missing[family] = f"{type(exc).__name__}: {exc}"
                say(f"campus: {family} devices NOT simulated: {campus.missing[family]}")
        return campus

    @property
    def running_families(self) -> list[str]:
        return [f for f in FAMILIES if self.plan.of_family(f) and f not in self.missing]

    def devices(self, family: str | None = None) -> list[PlannedDevice]:
        return [d for d in self.plan.devices.values()
                if d.family not in self.missing and (family is None or d.family == family)]

    async def stop(self) -> None:
        for transmitter in self.transmitters.values():
            await transmitter.tx.stop()
        for sim in (self.fire, self.cameras, self.snmp):
            if sim is not None:
                try:
                    await sim.stop()
                except Exception as exc:  # stopping one must not keep the others running
                    self.say(f"campus: stopping {type(sim).__name__} failed: {exc}")

    async def _start_fire_panels(self) -> None:
        from adapters.modbus.profile import resolve_profile
        from simulators.fire_panel.server import EndpointSpec, FirePanelSimulator, PanelSpec

        endpoints: dict[tuple[str, str], list] = {}
        for device in self.plan.of_family("modbus"):
            endpoints.setdefault((device.school_id, device.framer), []).append(
                PanelSpec(device.id, resolve_profile(device.profile), device.unit_id))
        first = self._ports(len(endpoints))
        specs = [EndpointSpec(panels, first + i if first else 0, framer)
                 for i, ((_, framer), panels) in enumerate(endpoints.items())]
        self.fire = await FirePanelSimulator.start(specs, host=self.host, say=lambda line: self.detail(f"[modbus] {line}"))

    async def _start_cameras(self) -> None:
        from simulators.camera.camera import CameraConfig
        from simulators.camera.simulator import CameraSimulator

        configs = [CameraConfig(name=d.id, username=CAMERA_USER, password=self.camera_password,
                                serial=f"SIM{i:06d}", model="SimCam-1")
                   for i, d in enumerate(self.plan.of_family("onvif"), 1)]
        self.cameras = await CameraSimulator.start(configs, host=self.host, base_port=self._ports(len(configs)),
                                                   echo=lambda line: self.detail(f"[onvif] {line}"))

    async def _start_snmp(self) -> None:
        from simulators.snmp.agent import SnmpSimulator
        from simulators.snmp.scenario import DeviceSpec, build_devices

        planned = self.plan.of_family("snmp")
        specs = [DeviceSpec(name=d.id, ports=d.ports, ups=d.kind == "ups") for d in planned]
        devices = build_devices(specs, self.plan.scenario.snmp_first_address)
        self._snmp_addresses = {d.name: d.address for d in devices}
        self.snmp = await SnmpSimulator.start(devices, host_port=self._ports(1), trap_targets=[(self.host, self.trap_port)],
                                              trap_version="v2c", say=lambda line: self.detail(f"[snmp] {line}"))

    async def _start_transmitters(self) -> None:
        from simulators.sia.transmitter import SiaTransmitter

        for device in self.plan.of_family("sia"):
            tx = await SiaTransmitter.start(self.host, self.sia_port, account=device.account, key=self.sia_key_hex,
                                            key_format="hex", ack_timeout_s=5.0, attempts=3)
            self.transmitters[device.id] = _Transmitter(tx)
        self.detail(f"[sia] {len(self.transmitters)} transmitters for the hub's receiver at {self.host}:{self.sia_port}")

    # --- where the hub finds each device ---------------------------------------------------------
    def endpoint_of(self, device: PlannedDevice) -> dict[str, Any]:
        """Host/port (and the like) of a device, for the hub config."""
        if device.family == "modbus":
            return {"host": self.host, "port": self.fire.port_of(device.id)}
        if device.family == "onvif":
            return {"host": self.host, "port": self.cameras[device.id].http_port}
        if device.family == "snmp":
            return {"host": self._snmp_addresses[device.id], "port": self.snmp.port}
        return {}

    # --- is the hub looking at us yet? ---------------------------------------------------------------
    async def attachment(self) -> dict[str, tuple[int, int]]:
        """Per family: (devices the hub has reached, devices)."""
        found: dict[str, tuple[int, int]] = {}
        if self.fire is not None:
            panels = list(self.fire.panels.values())
            found["modbus"] = (sum(p.requests > 0 for p in panels), len(panels))
        if self.cameras is not None:
            cams = self.cameras.cameras
            cams = [c for c in cams if c.camera.config.name not in self.left_silent]
            found["onvif"] = (sum(bool(c.camera.subscriptions) for c in cams), len(cams))
        if self.snmp is not None:
            snmp_devices = [d for name, d in self.snmp.devices.items() if name not in self.left_silent]
            found["snmp"] = (sum(d.requests > 0 for d in snmp_devices), len(snmp_devices))
        if self.transmitters:
            # once is enough: every probe is a connection the hub's receiver has to accept and log
            self._sia_listening = self._sia_listening or await _accepts(self.host, self.sia_port)
            found["sia"] = (len(self.transmitters) if self._sia_listening else 0, len(self.transmitters))
        return found

    async def wait_for_hub(self, timeout: float, interval: float = 0.2) -> bool:
        """Wait until the hub polls every panel and switch, subscribes to every camera and its SIA
        receiver listens (so scripted events are seen as changes, not as the starting state)."""
        deadline = time.monotonic() + timeout
        last_report = time.monotonic()
        while True:
            found = await self.attachment()
            if all(reached == total for reached, total in found.values()):
                return True
            now = time.monotonic()
            if now >= deadline:
                self.say("campus: the hub has not reached every device: " + _progress(found) + "; starting anyway")
                return False
            if now - last_report >= 5:
                self.say("campus: waiting for the hub: " + _progress(found))
                last_report = now
            await asyncio.sleep(interval)

    # --- doing things -----------------------------------------------------------------------------
    async def apply(self, step: TimelineStep) -> str:
        """Make one timeline step happen; return what happened, in words."""
        device = self.plan.devices[step.device]
        if device.family in self.missing:
            return f"skipped: {device.family} is not simulated ({self.missing[device.family]})"
        params = params_model(device.kind).model_validate(step.params)
        expected = expected_event(device.kind, step.do, params)
        if expected and self.observe:
            self.observe(device.id, expected[0], expected[1], time.time())
        handler = {"modbus": self._fire_panel_step, "onvif": self._camera_step, "snmp": self._snmp_step,
                   "sia": self._sia_step}[device.family]
        return await handler(device, step.do, params)

    async def _fire_panel_step(self, device: PlannedDevice, do: str, params) -> str:
        from simulators.fire_panel.scenario import Step, apply_step

        do = {"comms_lost": "silent", "comms_restored": "answer"}.get(do, do)
        converter = do in ("silent", "answer", "converter_drop")
        step = Step(do=do, panel=None if converter else device.id, zone=params.zone, point=params.point,
                    loop=params.loop, event=params.event, code=params.code, seconds=params.seconds,
                    port=self.fire.port_of(device.id) if converter else None)
        return await apply_step(self.fire, step)

    async def _camera_step(self, device: PlannedDevice, do: str, params) -> str:
        from simulators.camera.scenario import Step, apply_step

        args: dict[str, Any] = {"active": params.active, "seconds": params.seconds, "on": params.on,
                                "mode": params.mode, "delay": params.delay, "topic": params.topic, "data": params.data}
        if params.source is not None and do != "event":
            args["source"] = params.source
        return apply_step(self.cameras[device.id].camera, Step(0.0, device.id, do, args))

    async def _snmp_step(self, device: PlannedDevice, do: str, params) -> str:
        from simulators.snmp.scenario import Step, apply

        await apply(self.snmp, Step(after=0, do=do, device=device.id, port=params.port, mac=params.mac,
                                    count=params.count))
        cut = self._set_link(device.id, params.port, do == "port_up") if do in ("port_down", "port_up") else []
        behind = f"; {'cut off' if do == 'port_down' else 'back'}: {', '.join(cut)}" if cut else ""
        words = {"port_down": f"port {params.port} down (linkDown trap){behind}",
                 "port_up": f"port {params.port} up (linkUp trap){behind}",
                 "mains_off": "mains lost, on battery (upsTrapOnBattery)", "mains_on": "mains back",
                 "battery_low": "battery low", "battery_normal": "battery normal", "reboot": "rebooted (coldStart)"}
        return words.get(do, do.replace("_", " ") + (f" {params.mac}" if params.mac else ""))

    def _set_link(self, switch: str, port: int, up: bool) -> list[str]:
        """The devices behind a switch port lose (or regain) their network: they stop answering,
        as a camera, a panel's converter or a UPS card does when its cable is pulled; a SIA
        transmitter holds its messages. Returns their ids."""
        behind = [d for d in self.devices() if d.upstream == (switch, port)]
        for device in behind:
            if device.family == "onvif":
                self.cameras[device.id].camera.set_link(up)
            elif device.family == "modbus":
                self.fire.set_answering(up, self.fire.port_of(device.id))
            elif device.family == "snmp":
                self.snmp.misbehave(device.id, silent=not up)
            else:
                linked = self.transmitters[device.id].linked
                linked.set() if up else linked.clear()
        return [d.id for d in behind]

    async def _sia_step(self, device: PlannedDevice, do: str, params) -> str:
        transmitter = self.transmitters[device.id]
        if do == "link_test":
            delivery = await transmitter.send(lambda tx: tx.send_null())
            what = "NULL link test"
        elif do == "contact_id":
            delivery = await transmitter.send(lambda tx: tx.send_contact_id(
                params.event, params.zone or 0, qualifier=params.qualifier))
            what = f"Contact ID {params.event:03d} zone {params.zone or 0} q{params.qualifier}"
        else:
            code = params.code if do == "sia" else SIA_CODES[do]
            delivery = await transmitter.send(lambda tx: tx.send_sia(
                code, params.zone, area=params.area, user=params.user, text=params.text))
            what = f"SIA {code}" + (f" zone {params.zone}" if params.zone != "" else "")
        answer = "ACK" if delivery.acknowledged else delivery.outcome
        return f"account {device.account}: {what} -> {answer}" + (
            f" after {delivery.attempts} attempts" if delivery.attempts > 1 else "")


async def _accepts(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def _progress(found: dict[str, tuple[int, int]]) -> str:
    words = {"modbus": "fire panels polled", "onvif": "cameras subscribed", "snmp": "switches/UPSes polled",
             "sia": "SIA receiver listening"}
    return ", ".join(f"{family} {reached}/{total} {words[family]}" for family, (reached, total) in found.items())
