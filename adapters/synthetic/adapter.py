"""A synthetic adapter: invents plausible campus events at a chosen rate.

It stands in for real devices in `campus-hub demo --synthetic` and
drives the pipeline benchmark. Every event it makes says so in its raw payload (protocol
"synthetic").
"""
from __future__ import annotations

import asyncio
import itertools
import random

import pydantic

from hub.events import Category, Severity, State, new_event
from hub.spi import Adapter

# (type, category, severity, state) of what a synthetic device of each kind may say.
REPERTOIRE = {
    "fire_panel": [("fire.alarm", Category.CATEGORY_FIRE, Severity.SEVERITY_CRITICAL, State.STATE_RAISED),
                   ("fire.alarm", Category.CATEGORY_FIRE, Severity.SEVERITY_CRITICAL, State.STATE_CLEARED),
                   ("fire.fault", Category.CATEGORY_FIRE, Severity.SEVERITY_WARNING, State.STATE_RAISED)],
    "camera": [("video.motion", Category.CATEGORY_VIDEO, Severity.SEVERITY_INFO, State.STATE_RAISED),
               ("video.motion", Category.CATEGORY_VIDEO, Severity.SEVERITY_INFO, State.STATE_CLEARED),
               ("video.tamper", Category.CATEGORY_VIDEO, Severity.SEVERITY_MAJOR, State.STATE_RAISED)],
    "panic_button": [("panic.alarm", Category.CATEGORY_PANIC, Severity.SEVERITY_CRITICAL, State.STATE_RAISED),
                     ("panic.alarm", Category.CATEGORY_PANIC, Severity.SEVERITY_CRITICAL, State.STATE_CLEARED)],
    "alarm_panel": [("intrusion.alarm", Category.CATEGORY_INTRUSION, Severity.SEVERITY_MAJOR, State.STATE_RAISED),
                    ("intrusion.alarm", Category.CATEGORY_INTRUSION, Severity.SEVERITY_MAJOR, State.STATE_CLEARED)],
    "switch": [("network.link_down", Category.CATEGORY_NETWORK, Severity.SEVERITY_MAJOR, State.STATE_RAISED),
               ("network.link_down", Category.CATEGORY_NETWORK, Severity.SEVERITY_MAJOR, State.STATE_CLEARED)],
    "ups": [("power.on_battery", Category.CATEGORY_POWER, Severity.SEVERITY_MAJOR, State.STATE_RAISED),
            ("power.on_battery", Category.CATEGORY_POWER, Severity.SEVERITY_MAJOR, State.STATE_CLEARED)],
}
GENERIC = [("system.test", Category.CATEGORY_SYSTEM, Severity.SEVERITY_INFO, State.STATE_MOMENTARY)]


class SyntheticOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    rate: float = pydantic.Field(1.0, ge=0, le=1_000_000, description="Events per second across all devices.")
    seed: int | None = pydantic.Field(None, description="Random seed, for repeatable runs.")
    burst: int = pydantic.Field(1, ge=1, le=100_000,
                                description="Events emitted per tick (ticks are rate/burst per second).")


class SyntheticAdapter(Adapter):
    """Emits synthetic events for its devices; marks them online at start."""

    Options = SyntheticOptions

    async def run(self) -> None:
        devices = self.ctx.devices
        if not devices:
            self.ctx.log.warning("synthetic adapter has no devices; nothing to do")
            await asyncio.Future()
        for device in devices:
            self.ctx.device_online(device.id, "synthetic device")
        rng = random.Random(self.options.seed)
        if self.options.rate <= 0:
            await asyncio.Future()
        interval = self.options.burst / self.options.rate
        loop = asyncio.get_running_loop()
        counter = itertools.count(1)
        next_tick = loop.time()
        while True:
            for _ in range(self.options.burst):
                device = rng.choice(devices)
                type_, category, severity, state = rng.choice(REPERTOIRE.get(device.kind, GENERIC))
                n = next(counter)
                self.ctx.emit(new_event(
                    device_id=device.id, type=type_, category=category, severity=severity, state=state,
                    attributes={"synthetic": "true", "n": n},
                    raw_protocol="synthetic", raw_text=f"synthetic event {n}"))
            next_tick += interval
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
