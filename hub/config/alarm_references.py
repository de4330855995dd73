"""Checks of ``alarms:`` that relate it to the rest of the file (file:line for each problem):
every ladder stays within the hub's ``coverage``, and every override names a class, school,
building and device that exist."""
from __future__ import annotations

from typing import Any

from hub.alarms import LEVELS
from hub.config.references import _Checker, entries, text_value

__all__ = ["check_alarm_references"]


def check_alarm_references(check: _Checker, schools: dict[str, int], devices: dict[str, int]) -> None:
    alarms = check.doc.data.get("alarms") if isinstance(check.doc.data, dict) else None
    if not isinstance(alarms, dict):
        return
    coverage = text_value(alarms.get("coverage")) or LEVELS[-1]
    if coverage not in LEVELS:
        return  # the schema reports it
    classes: dict[str, int] = {}
    for index, alarm_class in entries(alarms, "classes"):
        name = text_value(alarm_class.get("name"))
        if name is not None:
            classes.setdefault(name, index)
        _check_ladder(check, ("alarms", "classes", index), alarm_class, coverage)
    buildings = _buildings(check.doc.data)
    for index, override in entries(alarms, "overrides"):
        path = ("alarms", "overrides", index)
        _check_ladder(check, path, override, coverage)
        if override.get("alarm_class"):
            check.known(path + ("alarm_class",), override.get("alarm_class"), classes, "alarm class",
                        "names under alarms: classes")
        if override.get("school") is not None:
            check.known(path + ("school",), override.get("school"), schools, "school", "school_ids under sites")
        if override.get("device") is not None:
            check.known(path + ("device",), override.get("device"), devices, "device", "ids under devices")
        school, building = text_value(override.get("school")), text_value(override.get("building"))
        if school in schools and building and building not in buildings.get(school, {}):
            check.known(path + ("building",), building, buildings.get(school, {}), f"building of {school}",
                        f"site.building of devices at {school}")


def _check_ladder(check: _Checker, path: tuple, section: dict[str, Any], coverage: str) -> None:
    steps = section.get("escalation")
    if not isinstance(steps, list):
        return
    for position, step in enumerate(steps):
        to = text_value(step.get("to")) if isinstance(step, dict) else None
        if to in LEVELS and LEVELS.index(to) > LEVELS.index(coverage):
            check.add(path + ("escalation", position, "to"),
                      f"the ladder escalates to {to}, above this hub's coverage ({coverage}): no duty desk there "
                      "sees this hub's alarms",
                      f"a level up to alarms: coverage ({' < '.join(LEVELS[:LEVELS.index(coverage) + 1])}), or a "
                      "higher coverage")


def _buildings(data: Any) -> dict[str, dict[str, int]]:
    """school -> buildings its devices name."""
    found: dict[str, dict[str, int]] = {}
    for index, device in entries(data, "devices"):
        site = device.get("site")
        if isinstance(site, dict) and text_value(site.get("school_id")) and text_value(site.get("building")):
            found.setdefault(text_value(site["school_id"]), {}).setdefault(text_value(site["building"]), index)
    return found
