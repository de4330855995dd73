"""The ``linkage:`` section of ``hub.yaml``: which cameras cover which places (coverage), the
media store, and rules that act when events arrive (see docs/integrator-guide.md, "Linkage").

Rules may also live in their own files (``rule_files:``, each a YAML mapping with ``rules:``);
their problems are reported with that file's name and line. :meth:`LinkageConfig.engine_parts`
gives the engine's rules and coverage (hub.linkage).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import pathlib
import re
import zoneinfo
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field

from hub.config.section import Section as _Section
from hub.config.section import one_of
from hub.config.units import parse_duration, parse_size
from hub.events import CATEGORY_CHOICES, SEVERITY_CHOICES, parse_category, parse_severity
from hub.linkage import (
    DAYS, MODES, Action, CelError, CoveredSite, Coverage, Rule, Schedule, SiteSelector, TimeWindow, Trigger,
    compile_condition,
)

__all__ = ["LinkageConfig", "RuleConfig", "CoverageConfig", "RulesFile", "load_rules_file"]

Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
Category = Annotated[str, AfterValidator(one_of("category", CATEGORY_CHOICES))]
SeverityName = Annotated[str, AfterValidator(one_of("severity", SEVERITY_CHOICES))]
Day = Annotated[str, AfterValidator(one_of("day", DAYS))]
_STATES = {"raised": 1, "cleared": 2, "momentary": 3}
StateName = Annotated[str, AfterValidator(one_of("state", tuple(_STATES)))]


def _type_prefix(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_.]{1,128}", value):
        raise ValueError(f"{value!r} is not a dotted type prefix; expected lowercase letters, digits, '_' and '.', "
                         "like 'fire.' or 'panic.alarm'")
    return value


TypePrefix = Annotated[str, AfterValidator(_type_prefix)]


def _clock_time(value: Any) -> _dt.time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 07:00 as sexagesimal 420
        value = f"{value // 60:02d}:{value % 60:02d}"
    text = str(value)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if match is None:
        if text == "24:00":
            return _dt.time(23, 59, 59, 999999)
        raise ValueError(f"{text!r} is not a time of day; expected HH:MM from 00:00 to 24:00, like \"07:30\"")
    return _dt.time(int(match.group(1)), int(match.group(2)))


ClockTime = Annotated[_dt.time, BeforeValidator(_clock_time)]


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; expected an IANA name like Asia/Shanghai") from None
    return value


class SiteSelectorConfig(_Section):
    """A place; every field given must match (empty: any)."""

    school_id: str = Field("", description="A school_id from sites:.")
    building: str = Field("", description="Building.")
    floor: str = Field("", description="Floor.")
    zone: str = Field("", description="Zone or room.")

    def to_selector(self) -> SiteSelector:
        return SiteSelector(self.school_id, self.building, self.floor, self.zone)


class CoveredSiteConfig(SiteSelectorConfig):
    """A place a camera sees."""

    preset: str = Field("", description="The PTZ preset token that turns the camera to this place (PTZ cameras).")


class CoverageConfig(_Section):
    """What one camera sees."""

    camera: str = Field(description="id of a camera under devices:.")
    sites: list[CoveredSiteConfig] = Field(min_length=1, description="The places it covers; a place with only a "
                                           "building covers every floor and zone of it.")
    home_preset: str = Field("", description="PTZ preset it goes back to when a rule's lease ends (empty: stays).")


class WhenConfig(_Section):
    """Which events start the rule (every condition given must hold)."""

    categories: list[Category] = Field(default_factory=list, description="Event categories; empty: any.")
    type_prefixes: list[TypePrefix] = Field(default_factory=list, description="Dotted type prefixes; empty: any.")
    sites: list[SiteSelectorConfig] = Field(default_factory=list, description="Places; empty: anywhere.")
    min_severity: SeverityName | None = Field(None, description="Only events at or above this severity.")
    alarm_class: str = Field("", description="Start on an alarm of this class being raised (a class under "
                             "alarms.classes) instead of on device events.")
    states: list[StateName] = Field(["raised", "momentary"], description="Event states that start the rule.")


class WindowConfig(_Section):
    days: list[Day] = Field(list(DAYS), min_length=1, description="Days of the week (mon ... sun).")
    from_: ClockTime = Field(alias="from", description="Start, HH:MM local time.")
    to: ClockTime = Field(description="End, HH:MM (before from: the window runs past midnight).")

    @pydantic.model_validator(mode="after")
    def _not_empty(self) -> WindowConfig:
        if self.from_ == self.to:
            raise ValueError(f"the window from {self.from_:%H:%M} to {self.to:%H:%M} is empty; expected an end "
                             "different from its start")
        return self


class ScheduleConfig(_Section):
    """When the rule may act, in linkage.time_zone."""

    windows: list[WindowConfig] = Field(default_factory=list, description="Time windows; none: all day.")
    holidays: list[_dt.date] = Field(default_factory=list, description="Dates (YYYY-MM-DD) of the holiday calendar.")
    on_holidays: Literal["skip", "only", "ignore"] = Field("skip", description="skip: never on a holiday; only: "
                                                           "only on holidays; ignore: holidays are like other days.")

    @pydantic.model_validator(mode="after")
    def _possible(self) -> ScheduleConfig:
        if self.on_holidays == "only" and not self.holidays:
            raise ValueError("on_holidays: only with no holidays listed would never run; expected holidays: [...] "
                             "or another on_holidays")
        return self


class SnapshotConfig(_Section):
    cameras: list[str] = Field(["covering"], min_length=1, description="\"covering\" (the cameras covering the "
                               "event's place) and/or camera ids.")
    max: int = Field(2, ge=1, le=16, description="At most this many cameras.")
    timeout: Duration = Field("10s", gt=0, description="A snapshot not stored by then has timed out.")


class PtzPresetConfig(SnapshotConfig):
    priority: int = Field(50, ge=1, le=100, description="A camera leased at a higher priority is not taken over.")
    lease: Duration = Field("60s", gt=0, description="How long the camera stays; then it goes to its home_preset.")
    preset: str = Field("", description="This preset instead of the covered place's.")


class RelayConfig(_Section):
    device: str = Field(description="id of the device with the output.")
    output: str = Field(min_length=1, description="Relay output token (e.g. relay1).")
    for_: Duration | None = Field(None, alias="for", gt=0, description="Switch it off again after this long.")
    until_clear: bool = Field(False, strict=True, description="Switch it off when the trigger clears.")
    timeout: Duration = Field("10s", gt=0, description="Deadline of the switch.")

    @pydantic.model_validator(mode="after")
    def _has_a_stop(self) -> RelayConfig:
        if self.for_ is None and not self.until_clear:
            raise ValueError("a relay action needs its stop; expected for: 30s and/or until_clear: true")
        return self


class PanelConfig(_Section):
    device: str = Field(description="id of the fire panel.")
    command: Literal["silence", "reset", "acknowledge"] = Field(description="A command of the panel's profile "
                                                                "marked safe for rules.")
    timeout: Duration = Field("10s", gt=0, description="Deadline of the write.")


class NotifyConfig(_Section):
    url: Annotated[str, Field(pattern=r"^https?://")] = Field(description="Where to POST the JSON.")
    attempts: int = Field(5, ge=1, le=100, description="Tries until accepted (a 2xx answer).")
    retry_initial: Duration = Field("1s", gt=0, description="First wait between tries (doubles).")
    request_timeout: Duration = Field("5s", gt=0, description="Deadline of one try.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")
    timeout: Duration = Field("120s", gt=0, description="Deadline of all tries together.")


class RaiseConfig(_Section):
    type: TypePrefix = Field(description="Type of the derived event (fire.confirmed).")
    category: Category = Field("system", description="Its category.")
    severity: SeverityName = Field("major", description="Its severity.")
    requires: list[TypePrefix] = Field(default_factory=list, description="Type prefixes that must each have been "
                                       "seen (the trigger included) within the window.")
    count: int = Field(1, ge=1, le=100, description="How many of each.")
    within: Duration = Field("60s", gt=0, le=3600, description="The window, before the trigger.")
    same: list[Literal["school_id", "building", "floor", "zone"]] = Field(["school_id"],
                                                                         description="Where they must share.")
    timeout: Duration = Field("5s", gt=0, description="Deadline.")


_ACTION_KINDS = ("snapshot", "ptz_preset", "relay", "panel", "notify", "raise")


class ActionConfig(_Section):
    """One action: a mapping with exactly one of the action kinds."""

    snapshot: SnapshotConfig | None = None
    ptz_preset: PtzPresetConfig | None = None
    relay: RelayConfig | None = None
    panel: PanelConfig | None = None
    notify: NotifyConfig | None = None
    raise_: RaiseConfig | None = Field(None, alias="raise")

    @pydantic.model_validator(mode="after")
    def _one_kind(self) -> ActionConfig:
        given = [kind for kind in _ACTION_KINDS if self.body(kind) is not None]
        if len(given) != 1:
            raise ValueError(f"an action is exactly one of {', '.join(_ACTION_KINDS)} (got {given or 'none'})")
        return self

    def body(self, kind: str):
        return getattr(self, "raise_" if kind == "raise" else kind)

    @property
    def kind(self) -> str:
        return next(kind for kind in _ACTION_KINDS if self.body(kind) is not None)

    def to_action(self) -> Action:
        kind = self.kind
        body = self.body(kind)
        data = body.model_dump(by_alias=True, exclude={"timeout"})
        if kind in ("snapshot", "ptz_preset"):
            return Action(kind, cameras=tuple(data.pop("cameras")), max_cameras=data.pop("max"), params=data,
                          timeout=body.timeout)
        device = data.pop("device", "")
        return Action(kind, device=device, params=data, timeout=body.timeout)


def _condition(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        compile_condition(value)
    except CelError as exc:
        raise ValueError(f"the condition does not type-check against campushub.v1.Event: {exc}") from None
    return value


class RuleConfig(_Section):
    """A linkage rule: when something happens, do these actions."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_.-]{1,64}$")] = Field(description="Unique rule id.")
    version: str = Field("", description="Its version, journaled with every action (empty: a digest of the rule).")
    when: WhenConfig = Field(description="Which events start it.")
    condition: Annotated[str | None, AfterValidator(_condition)] = Field(
        None, description="A CEL expression over `event` (campushub.v1.Event) that must be true.")
    do: list[ActionConfig] = Field(min_length=1, description="Actions, in order.")
    mode: Literal[MODES] = Field("single", description="A trigger while a run is going: single ignores it, restart "
                                 "cancels the run, queued waits, parallel runs both.")
    throttle: Duration = Field(0.0, ge=0, description="No repeat of an action on one target within this long.")
    schedule: ScheduleConfig | None = Field(None, description="When it may act; none: always.")

    @pydantic.model_validator(mode="after")
    def _cannot_trigger_itself(self) -> RuleConfig:
        for action in self.do:
            if action.kind != "raise" or self.when.alarm_class:
                continue
            raised = action.raise_
            prefixes = self.when.type_prefixes
            categories = self.when.categories
            if (not prefixes or any(raised.type.startswith(p) for p in prefixes)) and (
                    not categories or raised.category in categories):
                raise ValueError(f"this rule raises {raised.type!r}, which its own when: matches: it would trigger "
                                 "itself; expected when: to exclude the raised type")
        return self

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True).encode()
                              ).hexdigest()[:12]

    def to_rule(self, time_zone: str, source: str = "") -> Rule:
        when = self.when
        schedule = None
        if self.schedule is not None:
            schedule = Schedule(time_zone, tuple(TimeWindow(tuple(w.days), w.from_, w.to) for w in self.schedule.windows),
                                frozenset(self.schedule.holidays), self.schedule.on_holidays)
        return Rule(
            id=self.id, version=self.version or self.digest(),
            trigger=Trigger(categories=frozenset(map(parse_category, when.categories)),
                            type_prefixes=tuple(when.type_prefixes),
                            sites=tuple(s.to_selector() for s in when.sites),
                            min_severity=parse_severity(when.min_severity) if when.min_severity else 0,
                            alarm_class=when.alarm_class, states=frozenset(_STATES[s] for s in when.states)),
            actions=tuple(action.to_action() for action in self.do),
            condition=compile_condition(self.condition) if self.condition else None,
            mode=self.mode, throttle=self.throttle, schedule=schedule, source=source)


def _unique_ids(rules: list[RuleConfig]) -> list[RuleConfig]:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"two rules have the id {rule.id!r}; expected unique ids")
        seen.add(rule.id)
    return rules


class RulesFile(_Section):
    """A file of rules (``rule_files:`` or ``campus-hub rules test``)."""

    rules: Annotated[list[RuleConfig], AfterValidator(_unique_ids)] = Field(default_factory=list)


def load_rules_file(path: str | pathlib.Path) -> tuple[RulesFile | None, list]:
    """(rules, []) or (None, problems with the file's name and lines)."""
    from hub.config.errors import validation_problems
    from hub.config.source import parse_yaml, read_yaml_file

    name = str(path)
    text, problems = read_yaml_file(name, expected="a YAML file with rules:", what="the rules file")
    if text is None:
        return None, problems
    doc, problems = parse_yaml(text, name, expected="a mapping with rules:")
    if doc is None:
        return None, problems
    try:
        return RulesFile.model_validate(doc.data), problems
    except pydantic.ValidationError as exc:
        return None, problems + validation_problems(exc, doc, model=RulesFile, data=doc.data)


def _rules_from_file(value: Any, info: pydantic.ValidationInfo) -> Any:
    from hub.config.problems import ConfigError

    base = (info.context or {}).get("base_dir") or pathlib.Path.cwd()
    path = pathlib.Path(base, str(value)).resolve()
    loaded, problems = load_rules_file(path)
    if problems or loaded is None:
        raise ConfigError(problems)
    return {"path": str(path), "rules": loaded.rules}


class RuleFileConfig(_Section):
    path: str
    rules: list[RuleConfig]


class MediaConfig(_Section):
    """Where snapshots are kept, and for how long."""

    path: str = Field("", description="Directory; empty: media/ beside the journal file.")
    max_age: Duration = Field("30d", gt=0, description="Kept at least... at most this long (GB/T 29315: >= 30 days).")
    max_bytes: Size = Field("2GiB", gt=0, description="The oldest go first beyond this size.")
    max_item_bytes: Size = Field("5MiB", gt=0, le=64 << 20, description="A larger snapshot is refused.")


class LinkageConfig(_Section):
    """Linkage: coverage, the media store and rules."""

    time_zone: Annotated[str, AfterValidator(_time_zone)] = Field(
        "Asia/Shanghai", description="The hub's time zone, for rule schedules.")
    media: MediaConfig = Field(default_factory=MediaConfig, description="The media store.")
    coverage: list[CoverageConfig] = Field(default_factory=list, description="Which camera covers which places.")
    rules: Annotated[list[RuleConfig], AfterValidator(_unique_ids)] = Field(default_factory=list,
                                                                            description="Rules, in order.")
    rule_files: list[Annotated[RuleFileConfig, BeforeValidator(_rules_from_file)]] = Field(
        default_factory=list, description="Files with more rules (relative to this file), each a mapping with rules:.")

    @pydantic.model_validator(mode="after")
    def _ids_unique_across_files(self) -> LinkageConfig:
        seen = {rule.id for rule in self.rules}
        for rule_file in self.rule_files:
            for rule in rule_file.rules:
                if rule.id in seen:
                    raise ValueError(f"rule id {rule.id!r} in {rule_file.path} is already used; expected unique ids")
                seen.add(rule.id)
        return self

    def all_rules(self) -> list[RuleConfig]:
        return list(self.rules) + [rule for rule_file in self.rule_files for rule in rule_file.rules]

    def engine_rules(self) -> list[Rule]:
        return [rule.to_rule(self.time_zone) for rule in self.all_rules()]

    def engine_coverage(self) -> Coverage:
        return Coverage(
            sites={c.camera: tuple(CoveredSite(s.school_id, s.building, s.floor, s.zone, s.preset) for s in c.sites)
                   for c in self.coverage},
            home={c.camera: c.home_preset for c in self.coverage if c.home_preset})
