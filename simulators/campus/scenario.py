"""Campus scenario files: which schools and devices exist, and what happens to them when.

A scenario (YAML, see docs/simulator-guide.md) lists ``schools`` (each with its fire panels,
cameras, switches, UPSes, one-button alarms and intrusion panels), optionally ``generate``s many
schools from a template, and has a ``timeline`` of scripted steps plus background ``noise``.

Loading reuses the hub config's YAML-with-marks reader and its pydantic-error rephrasing, so a
mistake is reported as ``file:line:column: path: what; expected what``, like ``campus-hub check``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import pathlib
import re
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from adapters.modbus.profile import ProfileName
from hub.config.errors import validation_problems
from hub.config.problems import ConfigError, Problem
from hub.config.model import Duration, Identifier, RegionCode
from hub.config.source import Document, parse_yaml, read_yaml_file
from simulators.campus.vocabulary import FAMILY_OF_KIND, check_step_params

__all__ = ["CampusPlan", "HistoryConfig", "PlannedDevice", "Scenario", "ScenarioError", "TimelineStep",
           "load_scenario", "load_scenario_text", "resolve_scenario_path"]

SCENARIO_DIR = pathlib.Path(__file__).resolve().parents[2] / "config" / "scenarios"


class ScenarioError(ConfigError):
    """The scenario is invalid; ``problems`` lists every problem, each with file:line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceEntry(_Strict):
    """Devices of one kind at one place; ``count`` > 1 makes several, ``{n}`` in ``id`` numbers them."""

    id: Identifier = Field(description="Device id, unique in the scenario; '{n}' is replaced by 1..count.")
    count: int = Field(1, ge=1, le=10000, description="How many such devices ('{n}' in id numbers them).")
    name: str = Field("", description="Human-readable name ('{n}' allowed).")
    building: str = Field("", description="Building name or number.")
    floor: str = Field("", description="Floor as people say it.")
    zone: str = Field("", description="Zone or room (gate, gym, server room).")

    @pydantic.model_validator(mode="after")
    def _numbered(self) -> DeviceEntry:
        if self.count > 1 and "{n}" not in self.id:
            raise ValueError(f"count is {self.count} but id {self.id!r} has no '{{n}}'; expected an id like "
                             f"'{self.id}-{{n}}' so that every device gets its own id")
        return self


class FirePanelEntry(DeviceEntry):
    profile: ProfileName = Field("generic", description="Register map: a name from config/profiles or a path.")
    framer: Literal["tcp", "rtu-over-tcp"] = Field("tcp", description="Modbus TCP, or RTU frames over TCP.")


class CameraEntry(DeviceEntry):
    pass


class SwitchEntry(DeviceEntry):
    ports: int = Field(24, ge=1, le=512, description="Switch ports.")


class UpsEntry(DeviceEntry):
    pass


class SiaEntry(DeviceEntry):
    account: str | None = Field(None, description="SIA account (3-16 hex digits); default: allocated.")

    @pydantic.field_validator("account")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9A-Fa-f]{3,16}", value):
            raise ValueError(f"account {value!r} is not 3-16 hex digits; expected e.g. '1001' or 'B200'")
        return value if value is None else value.upper()

    @pydantic.model_validator(mode="after")
    def _one_account(self) -> SiaEntry:
        if self.account is not None and self.count > 1:
            raise ValueError("an explicit account fits one device; expected count: 1, or no account (allocated)")
        return self


class SchoolDevices(_Strict):
    """What a school has. Every list may be empty."""

    fire_panels: list[FirePanelEntry] = Field(default_factory=list, description="Modbus fire-alarm panels.")
    cameras: list[CameraEntry] = Field(default_factory=list, description="ONVIF IP cameras.")
    switches: list[SwitchEntry] = Field(default_factory=list, description="SNMP switches.")
    upses: list[UpsEntry] = Field(default_factory=list, description="SNMP UPSes.")
    panic_buttons: list[SiaEntry] = Field(default_factory=list, description="SIA DC-09 one-button alarms.")
    intrusion_panels: list[SiaEntry] = Field(default_factory=list, description="SIA DC-09 intrusion panels.")


class SchoolEntry(SchoolDevices):
    school_id: Identifier = Field(description="School id, unique in the scenario (no spaces).")
    region_code: RegionCode = Field(description="GB/T 2260 six-digit code of the school's county, e.g. '140802'.")
    name: str = Field("", description="School name, for people.")


class GenerateEntry(_Strict):
    """``count`` schools made from one template; ``{n}`` (1..count) and ``{region}`` in texts."""

    count: int = Field(ge=1, le=10000, description="How many schools.")
    school_id: str = Field("sch-{region}-{n:03d}", description="School id pattern ({n}, {region}).")
    name: str = Field("School {n}", description="School name pattern ({n}, {region}).")
    region_codes: list[RegionCode] = Field(min_length=1, description="Region codes, given to the schools in turn.")
    device_prefix: str = Field("s{n:03d}-", description="Prefix of every device id of a school ({n}).")
    template: SchoolDevices = Field(description="The devices of each school (same keys as a school).")

    @pydantic.field_validator("school_id", "name", "device_prefix")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            value.format(n=1, region="140802")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a usable pattern ({exc}); expected text with {{n}} or "
                             f"{{n:03d}} and {{region}}") from None
        return value


class TimelineStep(BaseModel):
    """One scripted step; keys other than at/device/do are the action's parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    at: float = Field(ge=0, description="Seconds after the timeline starts.")
    device: str = Field(description="Id of the device it happens to.")
    do: str = Field(description="What happens (the device kind's vocabulary, see docs/simulator-guide.md).")
    note: str = Field("", description="Words printed with the step.")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class NoiseConfig(_Strict):
    rate: float = Field(0.0, ge=0, le=100000, description="Background events per second over the whole scenario.")
    kinds: dict[Literal["motion", "link_test", "arm_disarm", "port_flap", "prealarm"], float] = Field(
        default_factory=lambda: {"motion": 3.0, "link_test": 1.0},
        description="Relative weight of each kind of background event.")
    seed: int | None = Field(None, description="Random seed, for a reproducible background.")


class Timing(_Strict):
    """How briskly the hub looks at the simulated devices (written into the hub config)."""

    modbus_poll: float = Field(1.0, gt=0, le=3600, description="Fire panel poll interval, seconds.")
    snmp_poll: float = Field(10.0, gt=0, le=3600, description="Switch/UPS poll interval, seconds.")
    onvif_pull_timeout: float = Field(5.0, gt=0, le=60, description="ONVIF PullMessages timeout, seconds.")
    sia_supervision: float | None = Field(None, gt=0, description="Expect a link test this often, seconds.")


class JoinedDevice(_Strict):
    device: str = Field(description="Id of a device of the scenario that joined the inventory during the history.")
    ago: Duration = Field(gt=0, description="How long before now it joined, e.g. 4d.")


class RemovedDevice(_Strict):
    id: Identifier = Field(description="Id of a device that was there and has been removed (not in the scenario).")
    kind: Literal["fire_panel", "camera", "switch", "ups", "panic_button", "alarm_panel"] = Field(
        description="What it was.")
    school_id: str = Field(description="The school it was at (one of the scenario's).")
    ago: Duration = Field(gt=0, description="How long before now it was removed, e.g. 6d.")


class UnrepairedFault(_Strict):
    device: str = Field(description="Id of a device of the scenario.")
    fault: Literal["offline", "fire.fault", "fire.supervisory", "power.on_battery"] = Field(
        description="offline (it stopped answering), or a fault it raised and never cleared.")
    ago: Duration = Field(gt=0, description="How long before now it began, e.g. 12d.")


class HistoryConfig(_Strict):
    """The campus's past, journaled before its hub first starts, so reports and the ledger have
    something to show (see docs/simulator-guide.md, "History")."""

    days: float = Field(14, gt=0, le=29, description="How many days of history, ending now (within the "
                        "journal's 30-day retention).")
    seed: int = Field(1, description="Random seed: the same history every time.")
    outages_per_day: float = Field(0.3, ge=0, le=100, description="Outages per device and day (a Poisson process).")
    mean_outage_hours: float = Field(3.0, gt=0, le=240, description="Mean length of an outage, hours.")
    missed_test_share: float = Field(0.1, ge=0, le=1, description="Share of one-button alarms' daily tests missing.")
    late_test_share: float = Field(0.05, ge=0, le=1, description="Share of tests reaching the hub late (30-120 s).")
    false_alarm_devices: int = Field(1, ge=0, le=1000, description="Devices with a day of 7 false alarms.")
    inspections_per_week: float = Field(3.0, ge=0, le=1000, description="Hazards found by inspections, registered "
                                        "by hand over all schools; most are rectified, some late, some not yet.")
    joined: list[JoinedDevice] = Field(default_factory=list, description="Devices added during the history.")
    removed: list[RemovedDevice] = Field(default_factory=list, description="Devices removed during the history.")
    unrepaired: list[UnrepairedFault] = Field(default_factory=list, description="Faults still there now.")

    @pydantic.model_validator(mode="after")
    def _within(self) -> HistoryConfig:
        for kind in ("joined", "removed", "unrepaired"):
            for i, item in enumerate(getattr(self, kind)):
                if item.ago >= self.days * 86400:
                    raise ValueError(f"{kind}[{i}]: ago is {item.ago / 86400:g} days, beyond the {self.days:g} days of "
                                     f"history; expected an ago shorter than days: {self.days:g}")
        return self


class Scenario(_Strict):
    """A scenario file without its ``timeline`` (a list of :class:`TimelineStep`, checked step by step
    so that one bad step does not hide the others)."""

    name: str = Field("", description="Scenario name, for people.")
    description: str = Field("", description="What it shows.")
    timing: Timing = Field(default_factory=Timing, description="Poll intervals written into the hub config.")
    sia_encrypted: bool = Field(True, description="SIA transmitters encrypt (AES) with a key the hub gets too.")
    snmp_first_address: str = Field("127.0.1.1", description="Loopback address of the first SNMP device.")
    schools: list[SchoolEntry] = Field(default_factory=list, description="Schools written out in full.")
    generate: list[GenerateEntry] = Field(default_factory=list, description="Schools made from a template.")
    noise: NoiseConfig = Field(default_factory=NoiseConfig, description="Background events.")
    region_names: dict[str, str] = Field(default_factory=dict, description="GB/T 2260 code -> name, written into "
                                         "the hub config's reports.region_names.")
    history: HistoryConfig | None = Field(None, description="Days of past life journaled before the hub first "
                                          "starts (none: the hub starts on an empty journal).")

    @pydantic.field_validator("snmp_first_address")
    @classmethod
    def _loopback(cls, value: str) -> str:
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address; expected a loopback address like 127.0.1.1") from None
        if not address.is_loopback:
            raise ValueError(f"{value} is not on loopback; expected 127.x.y.z (simulated devices stay local)")
        return value


# --- the expanded plan --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PlannedSchool:
    school_id: str
    region_code: str
    name: str


@dataclasses.dataclass
class PlannedDevice:
    """One simulated device, everything known before anything listens."""

    id: str
    kind: str  # fire_panel, camera, switch, ups, panic_button, alarm_panel
    school_id: str
    name: str = ""
    building: str = ""
    floor: str = ""
    zone: str = ""
    profile: str = "generic"  # fire panels
    framer: str = "tcp"
    unit_id: int = 1
    ports: int = 0  # switches
    account: str = ""  # SIA
    upstream: tuple[str, int] | None = None  # (switch id, port)

    @property
    def family(self) -> str:
        return FAMILY_OF_KIND[self.kind]


@dataclasses.dataclass
class CampusPlan:
    scenario: Scenario
    source: str
    schools: list[PlannedSchool]
    devices: dict[str, PlannedDevice]
    timeline: list[TimelineStep] = dataclasses.field(default_factory=list)

    def of_family(self, family: str) -> list[PlannedDevice]:
        return [d for d in self.devices.values() if d.family == family]

    def count_by_family(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for device in self.devices.values():
            counts[device.family] = counts.get(device.family, 0) + 1
        return counts


_LISTS = (("fire_panels", "fire_panel"), ("cameras", "camera"), ("switches", "switch"), ("upses", "ups"),
          ("panic_buttons", "panic_button"), ("intrusion_panels", "alarm_panel"))


def _expand_school(plan: CampusPlan, doc: Document, school: PlannedSchool, devices: SchoolDevices,
                   prefix: str, path: tuple, problems: list[Problem]) -> None:
    first_switch: PlannedDevice | None = None
    next_port = 1
    accounts = {d.account for d in plan.devices.values() if d.account}
    for key, kind in _LISTS:
        for index, entry in enumerate(getattr(devices, key)):
            for n in range(1, entry.count + 1):
                device_id = prefix + entry.id.replace("{n}", str(n))
                if device_id in plan.devices:
                    problems.append(doc.problem(path + (key, index, "id"), f"device id {device_id!r} is used twice",
                                                "ids unique over the whole scenario"))
                    continue
                device = PlannedDevice(device_id, kind, school.school_id, entry.name.replace("{n}", str(n)),
                                       entry.building, entry.floor, entry.zone)
                if isinstance(entry, FirePanelEntry):
                    device.profile, device.framer = entry.profile, entry.framer
                elif isinstance(entry, SwitchEntry):
                    device.ports = entry.ports
                    first_switch = first_switch or device
                elif isinstance(entry, SiaEntry):
                    device.account = entry.account or _free_account(accounts)
                    if entry.account in accounts:
                        problems.append(doc.problem(path + (key, index, "account"),
                                                    f"account {entry.account} is used twice",
                                                    "one SIA account per transmitter"))
                    accounts.add(device.account)
                plan.devices[device_id] = device
    # Every other device hangs off a port of the school's first switch, in order, so that a port
    # going down explains its device going quiet.
    if first_switch is not None:
        for device in plan.devices.values():
            if device.school_id == school.school_id and device.kind not in ("switch",) and next_port <= first_switch.ports:
                device.upstream = (first_switch.id, next_port)
                next_port += 1
    fire_units: dict[str, int] = {}
    for device in plan.devices.values():
        if device.school_id == school.school_id and device.kind == "fire_panel":
            # The school's panels share one serial converter (one Modbus endpoint), one unit id each.
            fire_units[device.framer] = unit = fire_units.get(device.framer, 0) + 1
            device.unit_id = unit


def _free_account(taken: set[str]) -> str:
    number = 0x1000 + len(taken)
    while f"{number:04X}" in taken:
        number += 1
    return f"{number:04X}"


def _expand(scenario: Scenario, timeline: list[tuple[int, TimelineStep]], doc: Document
            ) -> tuple[CampusPlan, list[Problem]]:
    problems: list[Problem] = []
    plan = CampusPlan(scenario, doc.file, [], {}, [step for _, step in timeline])
    school_ids: set[str] = set()

    def add_school(school: PlannedSchool, devices: SchoolDevices, prefix: str, path: tuple) -> None:
        if school.school_id in school_ids:
            problems.append(doc.problem(path, f"school_id {school.school_id!r} is used twice",
                                        "every school once (check generate: patterns)"))
            return
        school_ids.add(school.school_id)
        plan.schools.append(school)
        _expand_school(plan, doc, school, devices, prefix, path, problems)

    for i, school in enumerate(scenario.schools):
        add_school(PlannedSchool(school.school_id, school.region_code, school.name), school, "", ("schools", i))
    for g, group in enumerate(scenario.generate):
        for n in range(1, group.count + 1):
            region = group.region_codes[(n - 1) % len(group.region_codes)]
            school = PlannedSchool(group.school_id.format(n=n, region=region), region,
                                   group.name.format(n=n, region=region))
            add_school(school, group.template, group.device_prefix.format(n=n, region=region), ("generate", g))
    if scenario.history is not None:
        problems += _history_problems(scenario.history, plan, doc)
    if not plan.devices:
        problems.append(doc.problem((), "the scenario has no devices",
                                    "schools: (or generate:) with fire_panels, cameras, switches, upses, "
                                    "panic_buttons or intrusion_panels"))
    for i, step in timeline:
        path = ("timeline", i)
        device = plan.devices.get(step.device)
        if device is None:
            near = _near(step.device, plan.devices)
            problems.append(doc.problem(path + ("device",), f"no device {step.device!r} in this scenario{near}",
                                        "the id of a device under schools: (generated ids carry their prefix)"))
            continue
        problems += check_step_params(doc, path, device.kind, step.do, step.params)
    return plan, problems


def _history_problems(history: HistoryConfig, plan: CampusPlan, doc: Document) -> list[Problem]:
    problems = []
    schools = {school.school_id for school in plan.schools}
    for key in ("joined", "unrepaired"):
        for i, item in enumerate(getattr(history, key)):
            if item.device not in plan.devices:
                problems.append(doc.problem(("history", key, i, "device"), f"no device {item.device!r} in this "
                                            f"scenario{_near(item.device, plan.devices)}", "the id of a device of "
                                            "the scenario (generated ids carry their prefix)"))
    for i, fault in enumerate(history.unrepaired):
        device = plan.devices.get(fault.device)
        faults = {"fire_panel": ("offline", "fire.fault", "fire.supervisory"), "ups": ("offline", "power.on_battery")}
        if device is not None and fault.fault not in faults.get(device.kind, ("offline",)):
            problems.append(doc.problem(("history", "unrepaired", i, "fault"), f"a {device.kind} cannot have "
                                        f"{fault.fault!r}", "one of: " + ", ".join(faults.get(device.kind, ("offline",)))))
    for i, removed in enumerate(history.removed):
        if removed.id in plan.devices:
            problems.append(doc.problem(("history", "removed", i, "id"), f"{removed.id!r} is a device of the "
                                        "scenario, so it was not removed", "the id of a device no longer there"))
        if removed.school_id not in schools:
            problems.append(doc.problem(("history", "removed", i, "school_id"), f"no school {removed.school_id!r} in "
                                        f"this scenario{_near(removed.school_id, schools)}", "a school_id of the scenario"))
    return problems


def _near(name: str, known) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_scenario_text(text: str, source: str = "<scenario>") -> CampusPlan:
    """Validate a scenario and expand it into a plan; :class:`ScenarioError` lists every problem."""
    doc, problems = parse_yaml(text, source)
    if doc is None:
        raise ScenarioError(problems)
    if not isinstance(doc.data, dict):
        raise ScenarioError(problems + [doc.problem((), "a scenario is a mapping",
                                                    "keys such as schools:, timeline:, noise:")])
    data = {key: value for key, value in doc.data.items() if key != "timeline"}
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        problems += validation_problems(exc, doc, model=Scenario, data=data)
    timeline, timeline_problems = _timeline(doc)
    problems += timeline_problems
    if scenario is None:
        raise ScenarioError(problems)
    plan, more = _expand(scenario, timeline, doc)
    if problems + more:
        raise ScenarioError(problems + more)
    return plan


def _timeline(doc: Document) -> tuple[list[tuple[int, TimelineStep]], list[Problem]]:
    raw = doc.data.get("timeline")
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [doc.problem(("timeline",), "timeline is not a list",
                                "a list of steps: - {at: 2, device: fire-a, do: fire, zone: 3}")]
    steps, problems = [], []
    for i, item in enumerate(raw):
        try:
            steps.append((i, TimelineStep.model_validate(item)))
        except pydantic.ValidationError as exc:
            problems += validation_problems(exc, doc, model=TimelineStep, data=item, prefix=("timeline", i))
    return steps, problems


def resolve_scenario_path(name: str) -> pathlib.Path:
    """A path, or the name of a shipped scenario (``one-school``, ``county``)."""
    path = pathlib.Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    return SCENARIO_DIR / f"{name}.yaml"


def load_scenario(name: str) -> CampusPlan:
    """Load a scenario file (or a shipped scenario by name)."""
    path = resolve_scenario_path(name)
    shipped = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
    text, problems = read_yaml_file(path, f"a readable YAML file, or a shipped scenario: {shipped}",
                                     what="the scenario")
    if text is None:
        raise ScenarioError(problems)
    return load_scenario_text(text, str(path))
