"""Generated history for reports: a journal of days or weeks of a campus's life, written directly
(the times are in the past, so they cannot come through the live pipeline, which stamps now).

Every device gets a census when it joins (the start, or later for a device ``joined`` during the
history); then, with a seeded random generator, cameras and other devices go offline for hours and
come back, panic buttons send a test a day at their own hour (some late, some missing), fire panels send their
monthly test transmissions, and a few devices have false alarms. A device ``retired`` during the
history leaves the inventory then (``report.retired``); one with an ``unrepaired`` fault goes
offline for good, or raises the fault and never clears it. The returned :class:`Plan` per device
is the generator's own record of what it did, so tests can check the reports against an
independent count.
"""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Mapping, Sequence

from hub.events import Category, Event, Severity, State, new_event, set_timestamp, stamp_received
from hub.reports import DeviceClasses, census_event

_CLASSES = DeviceClasses()


@dataclasses.dataclass
class Plan:
    """What the generator did to one device."""

    device: str
    device_class: str = ""
    region: str = ""
    school: str = ""
    #: When it joined the inventory, and left it (0.0: it is still in it).
    joined_at: float = 0.0
    retired_at: float = 0.0
    #: Its online intervals, oldest first.
    intervals: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    #: Test reports: (received_at, seconds it took to reach the hub).
    tests: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    false_alarms: list[float] = dataclasses.field(default_factory=list)
    #: A fault never repaired: (fault, since).
    unrepaired: tuple[str, float] | None = None

    def online_seconds(self, start: float, end: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.intervals)

    def in_inventory(self, at: float) -> bool:
        return self.joined_at <= at and not (self.retired_at and self.retired_at <= at)


def _placed(event: Event, spec, at: float, occurred: float | None = None) -> Event:
    stamp_received(event, at)
    if occurred is not None:
        set_timestamp(event.occurred_at, occurred)
    event.site.CopyFrom(spec.site)
    event.adapter = spec.adapter
    return event


def history(specs: Sequence, start: float, end: float, *, seed: int = 1, hub_id: str = "campus-hub",
            outage_rate_per_day: float = 0.3, mean_outage_hours: float = 3.0, missing_test_share: float = 0.1,
            late_test_share: float = 0.05, false_alarm_devices: int = 1, joined: Mapping[str, float] = {},
            retired: Mapping[str, float] = {}, unrepaired: Mapping[str, tuple[str, float]] = {},
            ) -> tuple[list[Event], dict[str, Plan]]:
    """The events of ``specs``' life over [start, end] in time order, and the plan per device.
    ``joined``, ``retired``: device -> when it joined or left the inventory; ``unrepaired``:
    device -> (``offline`` or a fault event type, since when)."""
    rng = random.Random(seed)
    timed: list[tuple[float, int, Event]] = []
    plans: dict[str, Plan] = {}
    order = 0

    def add(at: float, event: Event) -> None:
        nonlocal order
        order += 1
        timed.append((at, order, event))

    days = max(1, int((end - start) // 86400) + 1)
    false_alarmers = set(rng.sample([s.id for s in specs], min(false_alarm_devices, len(specs))))
    for spec in specs:
        device_class = _CLASSES.of(spec.id, spec.kind)
        began = joined.get(spec.id, start)
        left = retired.get(spec.id, 0.0)
        fault, since = unrepaired.get(spec.id, ("", 0.0))
        # Until when it can be online (and sends tests): it left, or went offline for good.
        until = min(t for t in (end, left, since if fault == "offline" else 0.0) if t)
        plan = plans[spec.id] = Plan(spec.id, device_class, spec.site.region_code, spec.site.school_id, began, left,
                                     unrepaired=(fault, since) if fault else None)
        add(began, _placed(census_event(spec.id, spec.kind, device_class, hub_id, began, "unknown"), spec, began))
        # Online from a few seconds after it joined; outages as a Poisson process.
        at = began + rng.uniform(1, 30)
        while at < until:
            outage_at = at + rng.expovariate(outage_rate_per_day / 86400.0) if outage_rate_per_day else until
            plan.intervals.append((at, min(outage_at, until)))
            add(at, _placed(_state(spec, "device.online"), spec, at))
            if outage_at >= until:
                if until < end:  # it goes for good (removed, or offline unrepaired)
                    add(until, _placed(_state(spec, "device.offline"), spec, until))
                break
            add(outage_at, _placed(_state(spec, "device.offline"), spec, outage_at))
            at = outage_at + rng.expovariate(1 / (mean_outage_hours * 3600.0))
        if left:
            add(left, _placed(_retired(spec, hub_id), spec, left))
        if fault and fault != "offline":
            add(since, _placed(_fault(spec, fault), spec, since))
        if device_class == "panic":
            # A panel's periodic test goes at the same time every day (its timer), the delay varies.
            test_at = rng.uniform(3600, 80000)
            for day in range(days):
                if rng.random() < missing_test_share:
                    continue
                sent = start + day * 86400 + test_at
                if not began <= sent < until:
                    continue
                delay = rng.uniform(30, 120) if rng.random() < late_test_share else rng.uniform(0.05, 2.0)
                plan.tests.append((sent + delay, delay))
                add(sent + delay, _placed(_test(spec), spec, sent + delay, occurred=sent))
        elif device_class == "fire":
            for day in range(days):
                if rng.random() < 2.5 / 30:
                    sent = start + day * 86400 + rng.uniform(3600, 80000)
                    if began <= sent < until:
                        plan.tests.append((sent + 0.5, 0.5))
                        add(sent + 0.5, _placed(_test(spec), spec, sent + 0.5, occurred=sent))
        if spec.id in false_alarmers:
            day_start = start + rng.randrange(days) * 86400 + 36000
            for i in range(7):
                when = day_start + i * 600
                if began <= when < until:
                    plan.false_alarms.append(when)
                    add(when, _placed(_false_alarm(spec, when, i), spec, when))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in timed], plans


def _state(spec, type_: str) -> Event:
    raised = type_ != "device.online"
    return new_event(device_id=spec.id, type=type_, category=Category.CATEGORY_DEVICE,
                     severity=Severity.SEVERITY_MAJOR if raised else Severity.SEVERITY_INFO,
                     state=State.STATE_RAISED if raised else State.STATE_CLEARED, attributes={"kind": spec.kind})


def _retired(spec, hub_id: str) -> Event:
    from hub.reports import REPORT_CATEGORY, RETIRED
    return new_event(device_id=spec.id, type=RETIRED, category=REPORT_CATEGORY, severity=Severity.SEVERITY_INFO,
                     attributes={"hub": hub_id})


def _fault(spec, type_: str) -> Event:
    category = Category.CATEGORY_POWER if type_.startswith("power.") else Category.CATEGORY_FIRE
    text = {"fire.fault": "loop 2 open circuit", "fire.supervisory": "sprinkler valve closed",
            "power.on_battery": "mains failed"}.get(type_, "")
    return new_event(device_id=spec.id, type=type_, category=category, severity=Severity.SEVERITY_MAJOR,
                     state=State.STATE_RAISED, attributes={"text": text} if text else {})


def _test(spec) -> Event:
    return new_event(device_id=spec.id, type="system.test", category=Category.CATEGORY_SYSTEM,
                     severity=Severity.SEVERITY_INFO, state=State.STATE_MOMENTARY, attributes={"code": "RP"})


def _false_alarm(spec, at: float, n: int) -> Event:
    """An alarm of the device closed as false (the change event the alarm table journals)."""
    from hub.alarms import Alarm, Disposition, alarm_id
    from hub.alarms._journaled import change_event
    category = Category.CATEGORY_FIRE if _CLASSES.of(spec.id, spec.kind) == "fire" else Category.CATEGORY_INTRUSION
    alarm = Alarm(id=alarm_id(spec.id, "false.alarm", str(n)), device=spec.id, type="false.alarm", zone=str(n),
                  region=spec.site.region_code, school=spec.site.school_id, category=category, class_name="generated",
                  priority=3, closed=True, disposition=Disposition.FALSE, revision=3, raised_at=at - 60,
                  changed_at=at, last_actor="generated")
    return change_event(alarm, "closed")


async def write_history(journal, events: Iterable[Event], batch: int = 5000) -> int:
    """Append ``events`` to an open journal; returns the head."""
    pending = []
    for event in events:
        pending.append(journal.append(event))
        if len(pending) >= batch:
            await pending[-1]
            pending.clear()
    if pending:
        await pending[-1]
    return journal.head
