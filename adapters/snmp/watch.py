"""Per-device state from polls and traps (sans-IO): what changed, reported once.

A trap and the next poll often report the same fact; :class:`DeviceWatch` keeps the last known
value of every condition (port down, on battery...) and turns only *changes* into findings, so a
lost trap is made good by polling and a trap seen first is not repeated by the poll.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hub.events import State

from . import oids
from .ports import ADMIN_STATUS_NAMES, ADMIN_UP, PortInfo, PortSelection
from .taxonomy import Finding, Trap, classify_trap, link_change

TICKS_PER_SECOND = 100
TICKS_WRAP = 2**32  # sysUpTime is TimeTicks (32 bits): wraps after ~497 days

# ifOperStatus (IF-MIB): 1 up; 2 down, 6 notPresent, 7 lowerLayerDown mean the link is down;
# 3 testing, 4 unknown, 5 dormant tell nothing about the cable, so they change nothing.
OPER_UP = 1
OPER_DOWN = frozenset({2, 6, 7})
OPER_STATUS_NAMES = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}

# UPS-MIB upsOutputSource and upsBatteryStatus values
OUTPUT_NORMAL, OUTPUT_BYPASS, OUTPUT_BATTERY = 3, 4, 5
OUTPUT_SOURCE_NAMES = {1: "other", 2: "none", 3: "normal", 4: "bypass", 5: "battery", 6: "booster", 7: "reducer"}
BATTERY_NORMAL, BATTERY_LOW, BATTERY_DEPLETED = 2, 3, 4
BATTERY_STATUS_NAMES = {1: "unknown", 2: "batteryNormal", 3: "batteryLow", 4: "batteryDepleted"}


def detect_reboot(previous_ticks: int, previous_at: float, ticks: int, now: float, *, slack: float = 5.0) -> bool:
    """Did the agent restart between two sysUpTime readings taken at ``previous_at`` and ``now``?

    A restart is uptime going *back*. Uptime that grew less than the elapsed time, or not at all,
    is no restart: agents cache sysUpTime, and recordings of real devices answer a fixed value.
    Going back is no restart either when the 32-bit counter wrapped: then it went forward, modulo
    2**32, by no more than the elapsed time (plus ``slack`` seconds and 1 % for clock drift).
    """
    if ticks >= previous_ticks:
        return False
    elapsed = max(0.0, now - previous_at)
    tolerance = (slack + 0.01 * elapsed) * TICKS_PER_SECOND
    wrapped = previous_ticks + elapsed * TICKS_PER_SECOND + tolerance >= TICKS_WRAP + ticks
    return not wrapped


@dataclasses.dataclass(frozen=True)
class UpsReading:
    battery_status: int | None = None
    output_source: int | None = None
    seconds_on_battery: int | None = None
    minutes_remaining: int | None = None
    charge_percent: int | None = None
    alarms_present: int | None = None

    @classmethod
    def from_values(cls, values: Mapping[tuple[int, ...], object]) -> UpsReading:
        def number(oid):
            value = values.get(oid)
            return value if isinstance(value, int) else None
        return cls(
            battery_status=number(oids.UPS_BATTERY_STATUS),
            output_source=number(oids.UPS_OUTPUT_SOURCE),
            seconds_on_battery=number(oids.UPS_SECONDS_ON_BATTERY),
            minutes_remaining=number(oids.UPS_MINUTES_REMAINING),
            charge_percent=number(oids.UPS_CHARGE_REMAINING),
            alarms_present=number(oids.UPS_ALARMS_PRESENT),
        )

    def attributes(self) -> dict[str, str]:
        attributes = {}
        if self.output_source is not None:
            attributes["output_source"] = OUTPUT_SOURCE_NAMES.get(self.output_source, str(self.output_source))
        if self.battery_status is not None:
            attributes["battery_status"] = BATTERY_STATUS_NAMES.get(self.battery_status, str(self.battery_status))
        for name in ("seconds_on_battery", "minutes_remaining", "charge_percent"):
            value = getattr(self, name)
            if value is not None:
                attributes[name] = str(value)
        return attributes


@dataclasses.dataclass(frozen=True)
class PollResult:
    """What one poll of a device read (``None``: not read this time)."""

    uptime: int | None = None
    oper_status: Mapping[int, int] = dataclasses.field(default_factory=dict)  # ifIndex -> ifOperStatus
    #: ifIndex -> ifAdminStatus, for (at least) every port whose link is not up
    admin_status: Mapping[int, int] = dataclasses.field(default_factory=dict)
    #: ifType and names of the ports, when this poll read them (they are kept until read again)
    ports: Mapping[int, PortInfo] | None = None
    ups: UpsReading | None = None


@dataclasses.dataclass
class Report:
    findings: list[Finding] = dataclasses.field(default_factory=list)
    #: (ifIndex, is_up) for every port whose link state changed, for upstream correlation
    port_changes: list[tuple[int, bool]] = dataclasses.field(default_factory=list)


class DeviceWatch:
    """The last known conditions of one switch or UPS; ``on_poll``/``on_trap`` report changes."""

    def __init__(self, selection: PortSelection = PortSelection(), *, reboot_slack: float = 5.0) -> None:
        self.selection = selection
        #: seconds of clock drift allowed when telling a wrapped sysUpTime from a restart
        self.reboot_slack = reboot_slack
        #: ifIndex -> ifType and names, as last read
        self.ports: dict[int, PortInfo] = {}
        self._active: dict[tuple, bool] = {}
        self._uptime: tuple[int, float] | None = None
        self._last_boot: float | None = None  # when the last reported restart happened

    def _restart(self, report: Report, finding: Finding, uptime: int | None, now: float) -> None:
        """Report a restart once per boot, whether the poll or the coldStart trap saw it first."""
        if uptime is not None:
            boot = now - uptime / TICKS_PER_SECOND
            if self._last_boot is not None and abs(boot - self._last_boot) <= self.reboot_slack:
                return
            self._last_boot = boot
        report.findings.append(finding)

    def port_is_up(self, if_index: int) -> bool | None:
        active = self._active.get(("network.link_down", if_index))
        return None if active is None else not active

    def _change(self, key: tuple, finding: Finding, *, first_look_alarms: bool = True) -> Finding | None:
        raised = finding.state == State.STATE_RAISED
        previous = self._active.get(key)
        self._active[key] = raised
        if previous == raised or (previous is None and not (raised and first_look_alarms)):
            return None  # no change, or a first look (recorded, reported only if asked to)
        return finding

    def _link(self, report: Report, if_index: int, up: bool, attributes: Mapping[str, str], *,
              admin_status: int | None, first_look_alarms: bool) -> None:
        """A port's link is up or down: report a change of a watched port, forget an unwatched one."""
        key = ("network.link_down", if_index)
        previous = self.port_is_up(if_index)
        info = self.ports.get(if_index)
        attributes = {"port": str(if_index), **(info.attributes() if info else {}), **attributes}
        if "port_name" not in attributes and (attributes.get("if_name") or attributes.get("if_descr")):
            attributes["port_name"] = attributes.get("if_name") or attributes["if_descr"]  # a trap's own varbinds
        if not self.selection.watches(if_index, info, admin_status):
            # shut by an administrator, or not a port we watch: state, not an alarm. An alarm it
            # had is cleared, and when it is watched again its first look starts a fresh record.
            if self._active.pop(key, None):
                if admin_status is not None and admin_status != ADMIN_UP:
                    attributes["admin_status"] = ADMIN_STATUS_NAMES.get(admin_status, str(admin_status))
                report.findings.append(Finding("network.link_down", State.STATE_CLEARED, attributes))
            return
        state = State.STATE_CLEARED if up else State.STATE_RAISED
        changed = self._change(key, Finding("network.link_down", state, attributes), first_look_alarms=first_look_alarms)
        if changed is not None:
            report.findings.append(changed)
        if previous is None and not up or previous is not None and previous != up:
            report.port_changes.append((if_index, up))

    def _condition(self, report: Report, type_: str, active: bool, attributes: Mapping[str, str], key: tuple = ()) -> None:
        state = State.STATE_RAISED if active else State.STATE_CLEARED
        changed = self._change((type_, *key), Finding(type_, state, dict(attributes)))
        if changed is not None:
            report.findings.append(changed)

    def on_poll(self, result: PollResult, now: float) -> Report:
        report = Report()
        if result.uptime is not None:
            if self._uptime is not None and detect_reboot(*self._uptime, result.uptime, now, slack=self.reboot_slack):
                self._restart(report, Finding("network.device_restarted", State.STATE_MOMENTARY, {
                    "source": "poll", "uptime_ticks": str(result.uptime)}), result.uptime, now)
            self._uptime = (result.uptime, now)
        if result.ports is not None:
            self.ports = dict(result.ports)
        for if_index, status in sorted(result.oper_status.items()):
            if status != OPER_UP and status not in OPER_DOWN:
                continue
            attributes = {"source": "poll", "oper_status": OPER_STATUS_NAMES.get(status, str(status))}
            # a port found down at the first look (or after a hub restart) was not seen going down
            self._link(report, if_index, status == OPER_UP, attributes,
                       admin_status=result.admin_status.get(if_index), first_look_alarms=False)
        if result.ups is not None:
            self._ups(report, result.ups)
        return report

    def _ups(self, report: Report, ups: UpsReading) -> None:
        attributes = {"source": "poll", **ups.attributes()}
        if ups.output_source is not None:
            self._condition(report, "power.on_battery", ups.output_source == OUTPUT_BATTERY, attributes)
            self._condition(report, "power.on_bypass", ups.output_source == OUTPUT_BYPASS, attributes)
        if ups.battery_status is not None:
            self._condition(report, "power.battery_low", ups.battery_status == BATTERY_LOW, attributes)
            self._condition(report, "power.battery_depleted", ups.battery_status == BATTERY_DEPLETED, attributes)

    def on_trap(self, trap: Trap, now: float) -> Report:
        report = Report()
        finding = classify_trap(trap)
        attributes = {"source": "trap", **finding.attributes}
        change = link_change(trap)
        if change is not None:
            if_index, up = change
            admin = trap.value_under(oids.IF_ADMIN_STATUS)
            self._link(report, if_index, up, attributes, first_look_alarms=True,
                       admin_status=admin[1] if admin and isinstance(admin[1], int) else None)
            return report
        if finding.type == "network.device_restarted":
            # the next poll must not report this restart again
            if trap.uptime is not None:
                self._uptime = (trap.uptime, now)
            self._restart(report, dataclasses.replace(finding, attributes=attributes), trap.uptime, now)
        elif finding.state == State.STATE_MOMENTARY:
            report.findings.append(dataclasses.replace(finding, attributes=attributes))
        else:
            key = (attributes["alarm"],) if finding.type == "power.ups_alarm" else ()
            self._condition(report, finding.type, finding.state == State.STATE_RAISED, attributes, key)
        return report
