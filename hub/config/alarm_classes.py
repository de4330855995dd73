"""The ``alarms:`` section of ``hub.yaml``: alarm classes, which events they make alarms and how
those alarms behave (see docs/integrator-guide.md). :meth:`AlarmClassConfig.to_alarm_class`
gives the kernel's :class:`hub.alarms.AlarmClass`."""
from __future__ import annotations

import re
from typing import Annotated, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field

from hub.alarms import LEVELS, OVERRIDABLE, AlarmClass, AlarmOverride, EscalationStep
from hub.config.section import Section as _Section
from hub.config.section import one_of
from hub.config.units import parse_duration
from hub.regions import validate_region_prefix
from hub.events import CATEGORY_CHOICES, SEVERITY_CHOICES, parse_category, parse_severity

__all__ = ["AlarmClassConfig", "AlarmOverrideConfig", "AlarmsConfig", "EscalationStepConfig"]


def _type_prefix(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_.]{1,128}", value):
        raise ValueError(f"{value!r} is not a dotted type prefix; expected lowercase letters, digits, '_' and '.', "
                         "like 'fire.' or 'panic.alarm'")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
Category = Annotated[str, AfterValidator(one_of("category", CATEGORY_CHOICES))]
SeverityName = Annotated[str, AfterValidator(one_of("severity", SEVERITY_CHOICES))]
TypePrefix = Annotated[str, AfterValidator(_type_prefix)]


class EscalationStepConfig(_Section):
    """One rung of an escalation ladder."""

    after: Duration = Field(gt=0, description="Time after the alarm was raised, still unacknowledged.")
    to: Literal["county", "city", "province"] = Field(description="The duty desk it is escalated to.")


def _ladder_goes_up(steps: list[EscalationStepConfig]) -> list[EscalationStepConfig]:
    for earlier, later in zip(steps, steps[1:]):
        if LEVELS.index(later.to) <= LEVELS.index(earlier.to):
            raise ValueError(f"the ladder goes from {earlier.to} to {later.to}, not up a level; expected each "
                             f"step to a higher level than the one before ({' < '.join(LEVELS)})")
        if later.after <= earlier.after:
            raise ValueError(f"step to {later.to} comes after {later.after:g} s, not later than the step to "
                             f"{earlier.to} ({earlier.after:g} s); expected each step later than the one before")
    return steps


class AlarmClassConfig(_Section):
    """Which device events are alarms, and how those alarms behave. An event is an alarm of the
    first class (in file order) that selects it."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,64}$")] = Field(
        description="Unique class name (lowercase letters, digits, _ and -).")
    categories: list[Category] = Field(default_factory=list, description="Event categories selected; empty: all.")
    type_prefixes: list[TypePrefix] = Field(default_factory=list, description="Dotted type prefixes selected "
                                            "(\"panic.\", \"device.offline\"); empty: all.")
    min_severity: SeverityName | None = Field(None, description="Only events at or above this severity.")
    priority: int = Field(ge=1, le=4, description="1 (highest) to 4, as GB/T 28181's 一级…四级警情.")
    latch: bool = Field(False, strict=True, description="A momentary event (a panic press) stays active until "
                        "acknowledged.")
    on_delay: Duration = Field(0.0, description="The condition must persist this long before it is an alarm.")
    reactivation: Duration = Field(0.0, description="A re-raise within this long of clearing continues the "
                                   "alarm instead of starting a new occurrence.")
    auto_acknowledge: Duration | None = Field(None, gt=0, description="Acknowledged by the hub after this long "
                                              "(priorities 3 and 4 only).")
    max_shelve: Duration = Field("8h", gt=0, description="Longest an operator may shelve an alarm of the class.")
    supervisor_max_shelve: Duration = Field("7d", gt=0, description="Longest a supervisor may shelve one "
                                            "(at least max_shelve).")
    procedure: str = Field("", max_length=4096, description="What the duty desk does: text or a URL.")
    escalation: Annotated[list[EscalationStepConfig], AfterValidator(_ladder_goes_up)] = Field(
        default_factory=list, description="Who is told when nobody acknowledged in time, e.g. "
        "[{after: 60s, to: county}, {after: 180s, to: city}].")

    @pydantic.model_validator(mode="after")
    def _auto_acknowledge_only_low_priorities(self) -> AlarmClassConfig:
        if self.auto_acknowledge is not None and self.priority < 3:
            raise ValueError(f"auto_acknowledge is set on a priority {self.priority} class; expected it only on "
                             "priorities 3 and 4 (an urgent alarm needs a person)")
        return self

    @pydantic.model_validator(mode="after")
    def _supervisors_shelve_at_least_as_long(self) -> AlarmClassConfig:
        if self.supervisor_max_shelve < self.max_shelve:
            raise ValueError(f"supervisor_max_shelve ({self.supervisor_max_shelve:g} s) is shorter than max_shelve "
                             f"({self.max_shelve:g} s); expected a supervisor's limit at least the operators'")
        return self

    def to_alarm_class(self) -> AlarmClass:
        return AlarmClass(
            name=self.name, priority=self.priority, categories=frozenset(map(parse_category, self.categories)),
            type_prefixes=tuple(self.type_prefixes),
            min_severity=parse_severity(self.min_severity) if self.min_severity else 0,
            latch=self.latch, on_delay=self.on_delay, reactivation=self.reactivation,
            auto_acknowledge=self.auto_acknowledge, max_shelve=self.max_shelve,
            supervisor_max_shelve=self.supervisor_max_shelve, procedure=self.procedure,
            escalation=tuple(EscalationStep(step.after, step.to) for step in self.escalation))


class AlarmOverrideConfig(_Section):
    """Settings replaced for the alarms of one place: a region (inherited by its schools), a
    school, a building of a school, or a device. The most specific override wins: device, then
    building, then school, then the longest region prefix."""

    alarm_class: str = Field("", description="The class whose alarms it changes; empty: every class.")
    region: str = Field("", description="A region-code prefix: \"14\" (province), \"1408\" (city), "
                        "\"140802\" (county).")
    school: str = Field("", description="A school_id from sites:.")
    building: str = Field("", description="A building of the school (with school:), as devices' site.building.")
    device: str = Field("", description="A device id from devices:.")
    priority: int | None = Field(None, ge=1, le=4)
    latch: bool | None = Field(None, strict=True)
    on_delay: Duration | None = None
    reactivation: Duration | None = None
    auto_acknowledge: Duration | None = Field(None, gt=0)
    max_shelve: Duration | None = Field(None, gt=0)
    supervisor_max_shelve: Duration | None = Field(None, gt=0)
    procedure: str | None = Field(None, max_length=4096)
    escalation: Annotated[list[EscalationStepConfig], AfterValidator(_ladder_goes_up)] | None = None

    @pydantic.field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return validate_region_prefix(value) if value else value

    @pydantic.model_validator(mode="after")
    def _one_place(self) -> AlarmOverrideConfig:
        places = [name for name in ("region", "school", "device") if getattr(self, name)]
        if len(places) != 1:
            raise ValueError(f"an override names {' and '.join(places) or 'no place'}; expected exactly one of "
                             "region, school (optionally with building) or device")
        if self.building and not self.school:
            raise ValueError("building is given without its school; expected school: with building:")
        if not self.changes():
            raise ValueError(f"the override changes nothing; expected at least one of {', '.join(OVERRIDABLE)}")
        return self

    def changes(self) -> dict:
        changes = {name: getattr(self, name) for name in OVERRIDABLE if getattr(self, name) is not None}
        if "escalation" in changes:
            changes["escalation"] = tuple(EscalationStep(step.after, step.to) for step in self.escalation)
        return changes

    def to_override(self) -> AlarmOverride:
        return AlarmOverride(self.changes(), alarm_class=self.alarm_class, region=self.region, school=self.school,
                             building=self.building, device=self.device)


def _unique_names(classes: list[AlarmClassConfig]) -> list[AlarmClassConfig]:
    seen: set[str] = set()
    for alarm_class in classes:
        if alarm_class.name in seen:
            raise ValueError(f"two classes are named {alarm_class.name!r}; expected unique names")
        seen.add(alarm_class.name)
    return classes


class AlarmsConfig(_Section):
    """Alarms: which events are alarms (classes) and how they behave."""

    classes: Annotated[list[AlarmClassConfig], AfterValidator(_unique_names)] = Field(
        default_factory=list, description="Alarm classes, first match wins; none: no event is an alarm.")
    coverage: Literal["county", "city", "province"] = Field(
        "province", description="The highest duty desk this hub serves; a ladder escalating above it is an error.")
    overrides: list[AlarmOverrideConfig] = Field(
        default_factory=list, description="Settings inherited down region → school → building, overridden per "
        "device: e.g. {school: sch-1, alarm_class: panic, escalation: [{after: 30s, to: county}]}.")

    def alarm_classes(self) -> list[AlarmClass]:
        return [alarm_class.to_alarm_class() for alarm_class in self.classes]

    def alarm_overrides(self) -> list[AlarmOverride]:
        return [override.to_override() for override in self.overrides]
