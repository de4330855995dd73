"""Cross-references of the ``linkage:`` section: every camera and device a rule or the coverage
names is under ``devices:``, an alarm class a rule names is under ``alarms.classes``, and a place
names a school under ``sites:``. Read from the raw document (as hub.config.references does), so
each problem has its file:line even when other parts of the file are wrong."""
from __future__ import annotations

from hub.config.problems import Problem
from hub.config.references import _Checker, entries, text_value
from hub.config.source import Document

__all__ = ["check_linkage_references"]


def check_linkage_references(doc: Document) -> list[Problem]:
    data = doc.data if isinstance(doc.data, dict) else {}
    linkage = data.get("linkage")
    if not isinstance(linkage, dict):
        return []
    check = _Checker(doc)
    devices = {text_value(d.get("id")): i for i, d in entries(data, "devices") if text_value(d.get("id"))}
    cameras = {text_value(d.get("id")): i for i, d in entries(data, "devices")
               if text_value(d.get("id")) and text_value(d.get("kind")) == "camera"}
    schools = {text_value(s.get("school_id")): i for i, s in entries(data, "sites") if text_value(s.get("school_id"))}
    alarms = data.get("alarms") if isinstance(data.get("alarms"), dict) else {}
    classes = {text_value(c.get("name")): i for i, c in entries(alarms, "classes") if text_value(c.get("name"))}
    base = ("linkage",)
    for index, coverage in entries(linkage, "coverage"):
        check.known(base + ("coverage", index, "camera"), coverage.get("camera"), cameras, "camera",
                    "ids of devices with kind: camera")
        for position, place in entries(coverage, "sites"):
            if place.get("school_id") is not None:
                check.known(base + ("coverage", index, "sites", position, "school_id"), place.get("school_id"),
                            schools, "school", "school_ids under sites")
    for index, rule in entries(linkage, "rules"):
        path = base + ("rules", index)
        when = rule.get("when")
        if isinstance(when, dict):
            if when.get("alarm_class") is not None:
                check.known(path + ("when", "alarm_class"), when.get("alarm_class"), classes, "alarm class",
                            "names under alarms.classes")
            for position, place in entries(when, "sites"):
                if place.get("school_id") is not None:
                    check.known(path + ("when", "sites", position, "school_id"), place.get("school_id"), schools,
                                "school", "school_ids under sites")
        for position, action in entries(rule, "do"):
            for kind, body in action.items():
                if not isinstance(body, dict):
                    continue
                if kind in ("relay", "panel") and body.get("device") is not None:
                    check.known(path + ("do", position, kind, "device"), body.get("device"), devices, "device",
                                "ids under devices")
                if kind in ("snapshot", "ptz_preset") and isinstance(body.get("cameras"), list):
                    for n, camera in enumerate(body["cameras"]):
                        if text_value(camera) != "covering":
                            check.known(path + ("do", position, kind, "cameras", n), camera, cameras, "camera",
                                        "\"covering\" or ids of devices with kind: camera")
    return check.problems
