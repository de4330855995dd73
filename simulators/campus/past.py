"""A scenario's past (its ``history:`` section), journaled as its hub would have journaled it.

The devices' life comes from :func:`simulators.campus.history.history` (outages of hours, daily
panic tests with some missing or late, fire-panel test transmissions, false alarms, devices joining
and leaving the inventory, faults left unrepaired). The ledger over it is the hub's own: a
:class:`~hub.reports.ReportProjection` and a :class:`~hub.ledger.LedgerProjection` follow the
journal as it is written, on a clock that walks through the history two hours at a time, and decide
what a running hub would have decided (automatic entries from faults, cameras offline too long,
missed tests and false alarms; overdue marks). The county's people act on the ledger as they go:
inspectors register what they find, schools rectify (some after the deadline, some not yet), and
entries awaiting acceptance are signed off (销号) a day or two later, a few not yet.

The projections stop with their snapshots and cursors saved, so the hub that starts on the
journal goes on from where they were. :class:`PastRecord` is what was done, independently of the
reports computed from it (the county scenario's test counts from it).
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import random
import time
from collections.abc import Callable

from hub.events import Site, stamp_received, timestamp_seconds
from hub.journal import Journal
from hub.ledger import Hazard, LedgerProjection, LedgerSettings, Move
from hub.reports import ReportProjection, ReportSettings
from hub.spi import DeviceSpec
from simulators.campus.history import Plan, history, write_history
from simulators.campus.scenario import CampusPlan, HistoryConfig, TimelineStep

__all__ = ["INSPECTOR", "PastRecord", "device_specs", "journal_past", "journal_past_if_new", "leave_unrepaired",
           "unrepaired_steps"]

#: The actor of the people's ledger changes.
INSPECTOR = "subscriber:county-inspector"
SCHOOL_STAFF = "subscriber:school-staff"
#: The walk's step: the ledger's timers are looked at every two hours of history (a live hub: every
#: minute; an entry registered up to two hours later than a hub would have is good enough here).
STEP = 2 * 3600.0
DAY = 86400.0
_FINDINGS = {
    "fire": ["灭火器压力不足", "疏散通道堆放杂物", "应急照明灯不亮", "防火门闭门器损坏"],
    "security": ["校门口防冲撞设施缺失", "围墙护栏破损", "值班记录不全"],
    "building": ["教室吊顶松动", "楼梯扶手松脱", "操场排水沟盖板破损"],
    "power": ["配电箱未上锁", "电线私拉乱接"],
    "other": ["食堂燃气报警器过期"],
}
_ADAPTERS = {"fire_panel": "fire-modbus", "camera": "cameras-onvif", "switch": "network-snmp", "ups": "network-snmp",
             "panic_button": "alarms-sia", "alarm_panel": "alarms-sia"}


@dataclasses.dataclass
class PastRecord:
    start: float
    end: float
    #: What the generator did to each device (removed ones included).
    plans: dict[str, Plan]
    events: int
    #: Ids of the entries the inspectors registered.
    inspections: list[str] = dataclasses.field(default_factory=list)


def device_specs(plan: CampusPlan, history_config: HistoryConfig | None = None) -> list[DeviceSpec]:
    """The scenario's devices as the hub config names them, and the removed ones as they were."""
    regions = {school.school_id: school.region_code for school in plan.schools}
    specs = [DeviceSpec(id=device.id, kind=device.kind, adapter=_ADAPTERS[device.kind],
                        site=Site(region_code=regions[device.school_id], school_id=device.school_id,
                                  building=device.building, floor=device.floor, zone=device.zone))
             for device in plan.devices.values()]
    for removed in history_config.removed if history_config else ():
        specs.append(DeviceSpec(id=removed.id, kind=removed.kind, adapter=_ADAPTERS[removed.kind],
                                site=Site(region_code=regions[removed.school_id], school_id=removed.school_id)))
    return specs


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def journal_past(journal: Journal, plan: CampusPlan, hub_id: str, now: float,
                       report_settings: ReportSettings | None = None,
                       ledger_settings: LedgerSettings | None = None) -> PastRecord:
    """Journal the scenario's history, ending at ``now``, into an open (new) journal."""
    config = plan.scenario.history
    if config is None:
        raise ValueError(f"the scenario {plan.source} has no history: section")
    start = now - config.days * DAY
    events, plans = history(
        device_specs(plan, config), start, now, seed=config.seed, hub_id=hub_id,
        outage_rate_per_day=config.outages_per_day, mean_outage_hours=config.mean_outage_hours,
        missing_test_share=config.missed_test_share, late_test_share=config.late_test_share,
        false_alarm_devices=config.false_alarm_devices,
        joined={j.device: now - j.ago for j in config.joined}, retired={r.id: now - r.ago for r in config.removed},
        unrepaired={u.device: (u.fault, now - u.ago) for u in config.unrepaired})
    record = PastRecord(start, now, plans, len(events))
    clock = _Clock(start)

    def submit(event, source: str) -> asyncio.Future[int]:
        stamp_received(event, clock.now)
        return asyncio.ensure_future(journal.append(event))

    reports = ReportProjection(journal, submit, None, report_settings or ReportSettings(), hub_id, clock=clock,
                               snapshot_every=None)
    ledger = LedgerProjection(journal, submit, dataclasses.replace(ledger_settings or LedgerSettings(),
                                                                   tick_interval=None),
                              reports, clock=clock, snapshot_every=None)
    await reports.start()
    await ledger.start()
    people = _People(plan, config, ledger, clock, record)

    async def settle() -> None:
        for _ in range(3):  # a decision journals a change, which the projections then take
            head = journal.head
            await reports.wait_applied(head)
            await ledger.wait_applied(head)

    try:
        index, at = 0, start
        while at < now:
            at = min(at + STEP, now)
            batch = []
            while index < len(events) and timestamp_seconds(events[index].received_at) <= at:
                batch.append(events[index])
                index += 1
            await write_history(journal, batch)
            clock.now = at
            await settle()
            await people.act(at)
            await ledger.tick()
            await settle()
    finally:
        await ledger.stop()
        await reports.stop()
    return record


class _People:
    """What the county's inspectors and school staff do with the ledger, decided per entry when
    first seen (seeded, so the same history every time)."""

    def __init__(self, plan: CampusPlan, config: HistoryConfig, ledger: LedgerProjection, clock: _Clock,
                 record: PastRecord) -> None:
        self.ledger = ledger
        self.clock = clock
        self.record = record
        self.random = random.Random(config.seed + 1)
        self.schools = [(school.school_id, school.region_code) for school in plan.schools]
        self.next_inspection = self._after(clock.now, config.inspections_per_week)
        self.rate = config.inspections_per_week
        #: id -> (when it is moved to rectifying, when submitted for acceptance or None: not yet,
        #: how long acceptance takes or None: not yet)
        self.plans: dict[str, tuple[float, float | None, float | None]] = {}

    def _after(self, at: float, per_week: float) -> float:
        return at + self.random.expovariate(per_week / (7 * DAY)) if per_week else float("inf")

    async def act(self, now: float) -> None:
        while self.next_inspection <= now:
            await self._inspect()
            self.next_inspection = self._after(self.next_inspection, self.rate)
        for hazard in list(self.ledger.table.values()):
            if hazard.closed:
                continue
            rectify_at, submit_at, accept_after = self._plan(hazard)
            if hazard.state == "registered" and not hazard.automatic and now >= rectify_at:
                await self._move(hazard, "rectifying", "已安排整改", SCHOOL_STAFF)
            elif hazard.state == "rectifying" and submit_at is not None and now >= submit_at:
                await self._move(hazard, "awaiting_acceptance", "整改完成，申请验收", SCHOOL_STAFF)
            elif hazard.state == "awaiting_acceptance" and accept_after is not None \
                    and now >= hazard.changed_at + accept_after:
                await self._move(hazard, "closed", "现场验收合格，销号", INSPECTOR)

    def _plan(self, hazard: Hazard) -> tuple[float, float | None, float | None]:
        plan = self.plans.get(hazard.id)
        if plan is None:
            rng = self.random
            rectify_at = hazard.registered_at + rng.uniform(0.2, 2) * DAY
            # Most are rectified within the deadline (7 days for a general one), some late, some not yet.
            submit_at = hazard.registered_at + rng.uniform(1, 10) * DAY if rng.random() < 0.85 else None
            accept_after = rng.uniform(0.5, 3) * DAY if rng.random() < 0.9 else None
            plan = self.plans[hazard.id] = (rectify_at, submit_at, accept_after)
        return plan

    async def _inspect(self) -> None:
        rng = self.random
        school, region = rng.choice(self.schools)
        category = rng.choice(sorted(_FINDINGS))
        now = self.clock.now
        hazard = Hazard(id="", grade="general", category=category, region=region, school=school,
                        description=rng.choice(_FINDINGS[category]), source="inspection",
                        location=rng.choice(("教学楼", "宿舍楼", "食堂", "操场", "校门")), responsible="后勤主任")
        if rng.random() < 0.1:  # 重大, with its 五落实 plan
            hazard = dataclasses.replace(
                hazard, grade="major", plan_measures="停用并更换", plan_funds="专项经费 2 万元",
                plan_people="后勤主任、安全副校长", plan_deadline=now + 25 * DAY, plan_contingency="设置警戒、专人值守")
        registered = await self.ledger.register(hazard, INSPECTOR)
        self.record.inspections.append(registered.id)

    async def _move(self, hazard: Hazard, to: str, comment: str, actor: str) -> None:
        await self.ledger.command(hazard.id, Move(to, comment, hazard.revision), actor)


# --- the live campus after its history ----------------------------------------------------------
def unrepaired_steps(plan: CampusPlan) -> list[TimelineStep]:
    """The steps that keep the live devices as the history left them: a camera, switch or UPS
    offline stays silent, a fire panel's fault or supervisory condition stays raised. (A fire panel
    or SIA transmitter offline is history only: a school's panels share one converter, and a
    transmitter that stops sending is simply quiet.)"""
    steps = []
    for fault in plan.scenario.history.unrepaired if plan.scenario.history else ():
        device = plan.devices[fault.device]
        if fault.fault == "offline" and device.kind in ("camera", "switch", "ups"):
            steps.append(TimelineStep(at=0, device=device.id, do="silent", on=True) if device.kind == "camera"
                         else TimelineStep(at=0, device=device.id, do="silent"))
        elif fault.fault == "fire.fault":
            steps.append(TimelineStep(at=0, device=device.id, do="fault", zone=2))
        elif fault.fault == "fire.supervisory":
            steps.append(TimelineStep(at=0, device=device.id, do="raise", event="fire.supervisory"))
        elif fault.fault == "power.on_battery":
            steps.append(TimelineStep(at=0, device=device.id, do="mains_off"))
    return steps


async def leave_unrepaired(campus, say: Callable[[str], None]) -> None:
    """Apply :func:`unrepaired_steps` to a running campus (before the hub reaches it)."""
    for step in unrepaired_steps(campus.plan):
        if step.do == "silent":
            campus.left_silent.add(step.device)
        text = await campus.apply(step)
        say(f"history: left unrepaired: {text}")


async def journal_past_if_new(plan: CampusPlan, hub_settings, say: Callable[[str], None]) -> PastRecord | None:
    """Journal the scenario's history into the journal ``hub_settings`` names (hub.kernel.HubSettings,
    from the hub config) when that journal does not exist yet; None when it does or there is no
    history."""
    if plan.scenario.history is None:
        return None
    path = hub_settings.journal_path
    if os.path.exists(path):
        say(f"history: {path} exists; its history is not written again")
        return None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    journal = Journal(path, durability="normal", max_age=None, max_bytes=None)
    await journal.open()
    started = time.monotonic()
    try:
        record = await journal_past(journal, plan, hub_settings.hub_id, time.time(), hub_settings.reports,
                                    hub_settings.ledger)
        ledger = LedgerProjection(journal, None, LedgerSettings())
        await ledger.rebuild()
    finally:
        await journal.close()
    states = collections.Counter(hazard.state for hazard in ledger.table.values())
    overdue = sum(hazard.overdue for hazard in ledger.table.values() if not hazard.closed)
    say(f"history: journaled {plan.scenario.history.days:g} days of the campus's past into {path} "
        f"({record.events:,} device events, {len(ledger.table)} ledger entries: "
        + ", ".join(f"{n} {state}" for state, n in sorted(states.items())) + f"; {overdue} open and overdue) "
        f"in {time.monotonic() - started:.0f} s")
    return record
