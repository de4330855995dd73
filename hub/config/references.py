"""Checks that relate config entries to each other: unique ids, and every reference (a device's
school and adapter, an upstream switch, a subscriber's schools) naming something that exists.

They read the raw document rather than validated models so they still run, and report, when
other parts of the file are wrong; entries too malformed to check are left to the schema.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from hub.config.problems import Path, Problem
from hub.config.source import Document

__all__ = ["check_references", "entries", "text_value"]


def entries(data: Any, section: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, mapping) of each well-formed entry of a list section."""
    items = data.get(section) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def text_value(value: Any) -> str | None:
    """A scalar as the schema will read it (numbers become text), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


_SHOWN = 12


def choices(names: Iterable[str], limit: int = _SHOWN) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" ... ({len(names) - limit} more)" if len(names) > limit else "")


def _did_you_mean(value: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, expected: str = "") -> None:
        self.problems.append(self.doc.problem(path, message, expected))

    def unique(self, section: str, key: str, what: str) -> dict[str, int]:
        """Values of ``key`` across ``section`` -> index of the entry that defines them first."""
        first: dict[str, int] = {}
        for index, item in entries(self.doc.data, section):
            value = text_value(item.get(key))
            if value is None:
                continue
            if value in first:
                line = self.doc.mark((section, first[value], key))[0]
                self.add((section, index, key),
                         f"{what} {value!r} is already used by {section}[{first[value]}] on line {line}",
                         f"a {what} that no other entry under {section}: uses")
            else:
                first[value] = index
        return first

    def known(self, path: Path, value: Any, names: dict[str, int], what: str, where: str, *,
              context: str = "") -> None:
        """A problem at ``path`` unless ``value`` is one of ``names``; ``context`` starts its
        message (``rule 'gate-panic': ``)."""
        value = text_value(value)
        if value is None or value in names:
            return
        expected = (f"one of the {where}: {choices(names)}" if names
                    else f"an entry in {where} (there are none yet)")
        # Suggest a near name only when the list is too long to show; ids like sch-1 / sch-2 are all "near".
        hint = _did_you_mean(value, names) if len(names) > _SHOWN else ""
        self.add(path, f"{context}unknown {what} {value!r}{hint}", expected)


def check_references(doc: Document) -> list[Problem]:
    """Every cross-reference problem in ``doc``."""
    check = _Checker(doc)
    schools = check.unique("sites", "school_id", "school_id")
    adapters = check.unique("adapters", "name", "adapter name")
    devices = check.unique("devices", "id", "device id")
    check.unique("subscribers", "id", "subscriber id")

    for index, device in entries(doc.data, "devices"):
        check.known(("devices", index, "adapter"), device.get("adapter"), adapters, "adapter",
                    "names under adapters")
        site = device.get("site")
        if isinstance(site, dict):
            check.known(("devices", index, "site", "school_id"), site.get("school_id"), schools, "school",
                        "school_ids under sites")
        upstream = device.get("upstream")
        if isinstance(upstream, dict):
            path = ("devices", index, "upstream", "device")
            if upstream.get("device") is not None and text_value(upstream.get("device")) == text_value(device.get("id")):
                check.add(path, "a device cannot hang off itself", "the id of the switch it is plugged into")
            else:
                check.known(path, upstream.get("device"), devices, "device", "ids under devices")

    for index, subscriber in entries(doc.data, "subscribers"):
        scope = subscriber.get("scope")
        if isinstance(scope, dict):
            _check_scope(check, ("subscribers", index, "scope"), scope, schools)
    from hub.config.alarm_references import check_alarm_references  # (it builds on this module)
    check_alarm_references(check, schools, devices)
    return check.problems


def _check_scope(check: _Checker, path: Path, scope: dict[str, Any], schools: dict[str, int]) -> None:
    prefixes, school_ids = scope.get("region_prefixes"), scope.get("school_ids")
    if isinstance(school_ids, list):
        for position, school_id in enumerate(school_ids):
            check.known(path + ("school_ids", position), school_id, schools, "school", "school_ids under sites")
    if not all(value is None or isinstance(value, list) for value in (prefixes, school_ids)):
        return  # the schema reports the wrong type
    all_regions = scope.get("all_regions", False)
    if not isinstance(all_regions, bool):
        return  # the schema reports the wrong type
    narrowed = bool(prefixes) or bool(school_ids)
    if all_regions is True and narrowed:
        check.add(path + ("all_regions",), "all_regions: true cannot be combined with region_prefixes or "
                  "school_ids", "either all_regions: true alone, or the lists without all_regions")
    elif all_regions is not True and not narrowed:
        check.add(path, "this scope would see nothing: it has neither region_prefixes nor school_ids",
                  'region_prefixes (e.g. ["1408"]) and/or school_ids, or all_regions: true to see every region')
