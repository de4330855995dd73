"""Readable and JSON renderings of events and devices for terminals."""
from __future__ import annotations

import datetime as dt
import json
import sys

from google.protobuf import json_format

from hub.events import category_name, severity_name, state_name, timestamp_seconds
from hub.kernel import STATE_NAMES
from hub.spi import LATE_FACT

_SEVERITY_COLOURS = {"critical": "\x1b[1;31m", "major": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[2m"}
_RESET = "\x1b[0m"


def _local_time(ts) -> str:
    return dt.datetime.fromtimestamp(timestamp_seconds(ts)).strftime("%H:%M:%S")


def place(site) -> str:
    parts = [site.school_id or "?"] + [p for p in (site.building, site.floor and f"F{site.floor}", site.zone) if p]
    return "/".join(parts)


def event_line(event, colour: bool = False) -> str:
    severity = severity_name(event.severity)
    attrs = " ".join(f"{k}={v}" for k, v in sorted(event.attributes.items()))
    flags = []
    if event.repeat_count:
        flags.append(f"(x{event.repeat_count + 1})")
    if event.unknown_device:
        flags.append("[unknown device]")
    text = (f"#{event.sequence:<6} {_local_time(event.occurred_at)}  {severity.upper():<8} "
            f"{category_name(event.category):<9} {place(event.site):<28} {event.source_device_id:<16} "
            f"{event.type} {state_name(event.state)} {' '.join(flags)} {attrs}").rstrip()
    if colour:
        return f"{_SEVERITY_COLOURS.get(severity, '')}{text}{_RESET}"
    return text


def event_json(event) -> str:
    return json.dumps(json_format.MessageToDict(event, preserving_proto_field_name=True), ensure_ascii=False)


def devices_table(devices) -> str:
    """LATE says why a device is served late by a bound of its adapter (a concurrency limit or a
    timeout: hub.spi.LateDevices, the ``late`` fact), naming the option that decides it."""
    rows = [("DEVICE", "KIND", "STATE", "SINCE", "LAST SEEN", "SCHOOL / PLACE", "ADAPTER", "REASON", "LATE")]
    for d in devices:
        rows.append((d.id, d.kind, STATE_NAMES.get(d.state, "?"),
                     _local_time(d.state_since) if d.state_since.seconds else "-",
                     _local_time(d.last_seen) if d.last_seen.seconds else "never",
                     place(d.site), d.adapter, d.state_reason or "-", d.facts.get(LATE_FACT) or "-"))
    return _table(rows)


def _table(rows) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def alarms_table(alarms) -> str:
    from campushub.v1 import alarm_service_pb2 as pb
    rows = [("ALARM", "P", "STATE", "REV", "RAISED", "SCHOOL / PLACE", "ESC", "ASSIGNEE", "LAST")]
    for a in alarms:
        state = pb.AlarmState.Name(a.state).removeprefix("ALARM_STATE_").lower()
        rows.append((a.id, a.priority, state, a.revision, _local_time(a.raised_at) if a.raised_at.seconds else "-",
                     place(a.site), a.escalation_level or "-", a.assignee or "-",
                     f"{a.last_actor} {a.last_comment[:40]}".strip()))
    return _table(rows)


def alarm_change_line(change: str, alarm) -> str:
    """``13:02:11  acknowledged  pb-1/panic.alarm/gate  normal  rev 2  P1  subscriber:police  guard sent``."""
    from campushub.v1 import alarm_service_pb2 as pb
    state = pb.AlarmState.Name(alarm.state).removeprefix("ALARM_STATE_").lower()
    return (f"{_local_time(alarm.changed_at)}  {change:<14} {alarm.id}  {state}  rev {alarm.revision}  "
            f"P{alarm.priority}  {place(alarm.site)}  {alarm.last_actor}  {alarm.last_comment[:60]}").rstrip()


def terminals_table(terminals) -> str:
    rows = [("MAC", "SWITCH", "IFINDEX", "VLAN/FDB", "FIRST SEEN", "LAST SEEN", "SCHOOL / PLACE")]
    for t in terminals:
        rows.append((t.mac, t.switch_device_id, t.if_index, t.fdb_id or "-", _local_time(t.first_seen),
                     _local_time(t.last_seen), place(t.site)))
    return _table(rows)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
