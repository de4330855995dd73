"""Cross-references of the ``linkage:`` section: every camera and device a rule or the coverage
names is under ``devices:``, an alarm class a rule names is under ``alarms.classes``, and a place
names a school under ``sites:``. Read from the raw document (as hub.config.references does), so
each problem has its file:line even when other parts of the file are wrong.

Rules in ``rule_files:`` are checked against the hub.yaml that names them: a problem there has
the rule file's name and line, and every problem about a rule names the rule's id."""
from __future__ import annotations

import pathlib
from typing import Any

from hub.config.problems import Path, Problem
from hub.config.references import _Checker, entries, text_value
from hub.config.source import Document, parse_yaml, read_yaml_file

__all__ = ["check_linkage_references", "check_rule_file_references"]


def check_linkage_references(doc: Document, base_dir: pathlib.Path | None = None) -> list[Problem]:
    """Every cross-reference problem of ``doc``'s linkage section and of the rule files it names
    (relative to ``base_dir``; default: the current directory)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    linkage = data.get("linkage")
    if not isinstance(linkage, dict):
        return []
    check = _Checker(doc)
    known = _known_of(doc)
    base = ("linkage",)
    for index, coverage in entries(linkage, "coverage"):
        check.known(base + ("coverage", index, "camera"), coverage.get("camera"), known.cameras, "camera",
                    "ids of devices with kind: camera")
        for position, place in entries(coverage, "sites"):
            if place.get("school_id") is not None:
                check.known(base + ("coverage", index, "sites", position, "school_id"), place.get("school_id"),
                            known.schools, "school", "school_ids under sites")
    _check_rules(check, linkage, base, known, in_hub_yaml="")
    problems = check.problems
    rule_files = linkage.get("rule_files")
    if isinstance(rule_files, list):
        for name in rule_files:
            if text_value(name) is not None:
                problems += _check_rule_file(pathlib.Path(base_dir or pathlib.Path.cwd(), str(name)).resolve(),
                                             known, pathlib.Path(doc.file).name)
    return problems


def check_rule_file_references(doc: Document, rules_path: str | pathlib.Path) -> list[Problem]:
    """The problems of the rules file at ``rules_path`` (``campus-hub rules test``'s candidates)
    naming what the hub config ``doc`` lacks."""
    return _check_rule_file(pathlib.Path(rules_path), _known_of(doc), pathlib.Path(doc.file).name)


def _known_of(doc: Document) -> _Known:
    data = doc.data if isinstance(doc.data, dict) else {}
    alarms = data.get("alarms") if isinstance(data.get("alarms"), dict) else {}
    return _Known(
        devices={text_value(d.get("id")): i for i, d in entries(data, "devices") if text_value(d.get("id"))},
        cameras={text_value(d.get("id")): i for i, d in entries(data, "devices")
                 if text_value(d.get("id")) and text_value(d.get("kind")) == "camera"},
        schools={text_value(s.get("school_id")): i for i, s in entries(data, "sites") if text_value(s.get("school_id"))},
        classes={text_value(c.get("name")): i for i, c in entries(alarms, "classes") if text_value(c.get("name"))})


class _Known:
    """What hub.yaml configures: name -> index of its entry."""

    def __init__(self, devices: dict, cameras: dict, schools: dict, classes: dict) -> None:
        self.devices, self.cameras, self.schools, self.classes = devices, cameras, schools, classes


def _check_rule_file(path: pathlib.Path, known: _Known, hub_yaml: str) -> list[Problem]:
    text, _ = read_yaml_file(str(path), expected="a YAML file with rules:", what="the rules file")
    if text is None:
        return []  # the schema reports a file it cannot read
    doc, _ = parse_yaml(text, str(path), expected="a mapping with rules:")
    if doc is None or not isinstance(doc.data, dict):
        return []
    check = _Checker(doc)
    _check_rules(check, doc.data, (), known, in_hub_yaml=f" in {hub_yaml}")
    return check.problems


def _check_rules(check: _Checker, section: dict, base: Path, known: _Known, in_hub_yaml: str) -> None:
    """The rules under ``section["rules"]``; ``in_hub_yaml`` says where the names they may use are
    (" in hub.yaml" for a rule file)."""
    for index, rule in entries(section, "rules"):
        path = base + ("rules", index)
        rule_id = text_value(rule.get("id"))
        context = f"rule {rule_id!r}: " if rule_id is not None else f"rule {index + 1} (no id): "

        def known_name(where: Path, value: Any, names: dict, what: str, expected: str) -> None:
            check.known(path + where, value, names, what, expected + in_hub_yaml, context=context)

        when = rule.get("when")
        if isinstance(when, dict):
            if when.get("alarm_class") is not None:
                known_name(("when", "alarm_class"), when.get("alarm_class"), known.classes, "alarm class",
                           "names under alarms.classes")
            for position, place in entries(when, "sites"):
                if place.get("school_id") is not None:
                    known_name(("when", "sites", position, "school_id"), place.get("school_id"), known.schools,
                               "school", "school_ids under sites")
        for position, action in entries(rule, "do"):
            for kind, body in action.items():
                if not isinstance(body, dict):
                    continue
                if kind in ("relay", "panel") and body.get("device") is not None:
                    known_name(("do", position, kind, "device"), body.get("device"), known.devices, "device",
                               "ids under devices")
                if kind in ("snapshot", "ptz_preset") and isinstance(body.get("cameras"), list):
                    for n, camera in enumerate(body["cameras"]):
                        if text_value(camera) != "covering":
                            known_name(("do", position, kind, "cameras", n), camera, known.cameras, "camera",
                                       "\"covering\" or ids of devices with kind: camera")
