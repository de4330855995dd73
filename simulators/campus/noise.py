"""Background noise: the everyday traffic of a campus, at a chosen rate, between scripted steps.

Kinds: ``motion`` (a camera sees motion for a second), ``link_test`` (a SIA transmitter's NULL
supervision message), ``arm_disarm`` (an intrusion panel armed or disarmed), ``port_flap`` (a
switch port without a campus device behind it goes down and comes back; a switch whose every port
has one is left alone) and ``prealarm`` (a fire panel zone in pre-alarm for a
moment: dust, steam from a kitchen). Arrivals are a Poisson process, so bursts happen as they do in life.
"""
from __future__ import annotations

import asyncio
import collections
import random

from simulators.campus.campus import SimulatedCampus
from simulators.campus.scenario import NoiseConfig, TimelineStep

__all__ = ["Noise"]

#: kind -> the device kinds it can happen to
_NOISE_DEVICES = {"motion": ("camera",), "link_test": ("panic_button", "alarm_panel"), "arm_disarm": ("alarm_panel",),
                  "port_flap": ("switch",), "prealarm": ("fire_panel",)}
#: how long a flapped port / tested zone / motion stays before it goes back, seconds
_HOLD = {"motion": 1.0, "port_flap": 2.0, "prealarm": 2.0}
_MAX_IN_FLIGHT = 2000


class Noise:
    """Plays background events on ``campus`` until cancelled. ``played`` counts them by kind."""

    def __init__(self, campus: SimulatedCampus, config: NoiseConfig, rate: float | None = None) -> None:
        self.campus = campus
        self.rate = config.rate if rate is None else rate
        self.random = random.Random(config.seed)
        self.played: dict[str, int] = {}
        self.failed: collections.Counter[str] = collections.Counter()  # reason -> count
        self.skipped = 0  # picked a device still busy with the previous one
        self._pending: set[asyncio.Task] = set()
        self._armed: dict[str, bool] = {}
        self._busy: set[str] = set()  # devices in the middle of a noise event (motion on, port down ...)
        used = {d.upstream for d in campus.plan.devices.values() if d.upstream}
        # A flap is a classroom PC's port: never one a campus device hangs off. Cutting a camera
        # or a panel off is a scripted port_down (the timeline), not background noise.
        self._free_ports = {d.id: free for d in campus.devices("snmp") if d.ports
                            if (free := [p for p in range(1, d.ports + 1) if (d.id, p) not in used])}
        self._targets = {kind: [d for d in campus.devices() if d.kind in _NOISE_DEVICES[kind]
                                and (kind != "port_flap" or d.id in self._free_ports)]
                         for kind, weight in config.kinds.items() if weight > 0}
        self._targets = {kind: devices for kind, devices in self._targets.items() if devices}
        self._kinds = list(self._targets)
        self._weights = [config.kinds[kind] for kind in self._kinds]

    async def run(self) -> None:
        if self.rate <= 0 or not self._kinds:
            return
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        try:
            while True:
                next_at += self.random.expovariate(self.rate)
                delay = next_at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if len(self._pending) >= _MAX_IN_FLIGHT:
                    continue  # the hub is not keeping up (or is down): do not pile up work
                kind = self.random.choices(self._kinds, self._weights)[0]
                task = asyncio.ensure_future(self._one(kind))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
        finally:
            for task in list(self._pending):
                task.cancel()

    async def _one(self, kind: str) -> None:
        device = self.random.choice(self._targets[kind])
        if device.id in self._busy:
            # a camera already in motion does not "start" again: no new event would follow
            self.skipped += 1
            return
        self._busy.add(device.id)
        try:
            for index, step in enumerate(self._steps(kind, device)):
                if step is None:
                    await asyncio.sleep(_HOLD[kind])
                    continue
                await self.campus.apply(step)
                if index == 0:  # it happened (the way back follows after the hold)
                    self.played[kind] = self.played.get(kind, 0) + 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noise must never stop the campus; count and go on
            self.failed[f"{kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"] += 1
        finally:
            self._busy.discard(device.id)

    def _steps(self, kind: str, device) -> list[TimelineStep | None]:
        def step(do: str, **params) -> TimelineStep:
            return TimelineStep(at=0, device=device.id, do=do, **params)

        if kind == "motion":
            return [step("motion", active=True), None, step("motion", active=False)]
        if kind == "link_test":
            return [step("link_test")]
        if kind == "arm_disarm":
            armed = self._armed[device.id] = not self._armed.get(device.id, False)
            return [step("arm" if armed else "disarm", zone=self.random.randint(1, 99))]
        if kind == "port_flap":
            port = self.random.choice(self._free_ports[device.id])
            return [step("port_down", port=port), None, step("port_up", port=port)]
        zone = self.random.randint(20, 30)
        return [step("raise", zone=zone, event="fire.prealarm"), None, step("clear", zone=zone, event="fire.prealarm")]
