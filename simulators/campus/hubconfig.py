"""The hub config that matches a running simulated campus, so ``campus-hub run -c`` works unchanged.

Secrets (camera password, SIA key, the subscriber token's hash) are files in a directory next to
the config (see :mod:`.credentials`), referenced as ``${file:...}`` as the integrator guide asks of a
real installation; the plaintext token is printed, never written into the config.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any

from hub.config import hub_id_from
from hub.config.writer import dump_yaml
from simulators.camera.ptz import DEFAULT_PRESETS
from simulators.campus.campus import SimulatedCampus
from simulators.campus.credentials import CAMERA_PASSWORD, SIA_KEY, TOKEN_SHA256
from simulators.campus.scenario import CampusPlan, PlannedDevice

__all__ = ["ADAPTER_NAMES", "HubOptions", "build_hub_config", "config_text", "hub_id_of", "secrets_dir",
           "write_hub_config"]

ADAPTER_NAMES = {"modbus": "fire-modbus", "onvif": "cameras-onvif", "snmp": "network-snmp", "sia": "alarms-sia"}
SUBSCRIBER_ID = "campus-viewer"


@dataclasses.dataclass(frozen=True)
class HubOptions:
    """What the written config says about the hub itself (not about the devices)."""

    grpc: str = "127.0.0.1:50051"
    metrics: str | None = "127.0.0.1:9464"
    journal: str = "./data/journal.db"
    dedupe_window: float | None = None  # None: the hub's default
    #: Linkage rules (a panic turns the gate camera and takes snapshots); off for benchmarks that
    #: measure ingestion alone.
    linkage: bool = True


def _adapter_options(campus: SimulatedCampus, family: str) -> dict[str, Any]:
    timing = campus.plan.scenario.timing
    if family == "modbus":
        return {"timeout": 2.0, "reconnect_min": 0.5, "reconnect_max": 10.0}
    if family == "onvif":
        return {"pull_timeout": timing.onvif_pull_timeout, "request_timeout": 10.0, "retry_initial": 0.5,
                "retry_max": 10.0, "health_interval": 60.0}
    if family == "snmp":
        return {"trap_host": campus.host, "trap_port": campus.trap_port,
                "max_concurrent_polls": 64}
    sia_devices = len(campus.devices("sia"))
    return {"host": campus.host, "tcp_port": campus.sia_port, "udp_port": None,
            "max_connections": sia_devices + 64}


def _device_options(campus: SimulatedCampus, device: PlannedDevice, secrets: dict[str, str]) -> dict[str, Any]:
    timing = campus.plan.scenario.timing
    where = campus.endpoint_of(device)
    if device.family == "modbus":
        return {**where, "framer": device.framer, "unit_id": device.unit_id, "profile": device.profile,
                "poll_interval": timing.modbus_poll}
    if device.family == "onvif":
        return {**where, "username": "admin", "password": f"${{file:{secrets['camera']}}}"}
    if device.family == "snmp":
        return {**where, "version": "v2c", "community": "public", "poll_interval": timing.snmp_poll,
                "timeout": 2.0, "interfaces": device.kind == "switch", "ups": device.kind == "ups"}
    options: dict[str, Any] = {"account": device.account}
    if campus.sia_key_hex:
        options.update(key=f"${{file:{secrets['sia']}}}", key_format="hex")
    if timing.sia_supervision:
        options["supervision_s"] = timing.sia_supervision
    return options


#: The simulated campus's alarm classes, so a newcomer sees alarms raised, escalated and
#: acknowledgeable (docs/integrator-guide.md, "alarms").
ALARM_CLASSES = [
    {"name": "panic", "categories": ["panic"], "priority": 1, "latch": True,
     "procedure": "Call the school's duty desk; send the nearest guard; confirm on camera.",
     "escalation": [{"after": "60s", "to": "county"}, {"after": "3m", "to": "city"}]},
    {"name": "fire", "categories": ["fire"], "min_severity": "major", "priority": 1,
     "escalation": [{"after": "2m", "to": "county"}]},
    {"name": "intrusion", "categories": ["intrusion"], "min_severity": "major", "priority": 2},
    {"name": "device-offline", "type_prefixes": ["device.offline"], "priority": 4, "on_delay": "30s",
     "auto_acknowledge": "1h"},
]


#: The simulated campus's linkage rules (docs/integrator-guide.md, "linkage"): a panic alarm turns
#: the cameras covering its place to their preset and attaches their snapshots; a fire alarm
#: attaches snapshots from the cameras of its building.
LINKAGE_RULES = [
    {"id": "panic-look", "when": {"alarm_class": "panic"},
     "do": [{"ptz_preset": {"priority": 80, "lease": "2m"}}, {"snapshot": {"max": 2}}], "throttle": "10s"},
    {"id": "fire-look", "when": {"alarm_class": "fire"}, "do": [{"snapshot": {"max": 2}}], "throttle": "30s"},
]
#: The token of the PTZ preset the camera simulator names "Gate".
GATE_PRESET = next(preset.token for preset in DEFAULT_PRESETS if preset.name == "Gate")


def linkage_section(campus: SimulatedCampus) -> dict[str, Any]:
    """Each camera covers its own place (its school, building and zone as planned); a gate camera
    turns to its Gate preset."""
    coverage = []
    for camera in campus.devices("onvif"):
        place: dict[str, str] = {"school_id": camera.school_id}
        place.update({k: v for k, v in (("building", camera.building), ("zone", camera.zone)) if v})
        if camera.zone == "gate":
            place["preset"] = GATE_PRESET
        coverage.append({"camera": camera.id, "sites": [place]})
    return {"coverage": coverage, "rules": LINKAGE_RULES} if coverage else {}


def hub_id_of(plan: CampusPlan) -> str:
    """The id of the hub of a simulated campus: ``sim-`` and the scenario's name (its file's stem if
    it has none), and the school's id when there is one school, so the configs written for two
    scenarios (or two one-school variants) never share a hub id."""
    name = plan.scenario.name or pathlib.Path(plan.source).stem
    school = [plan.schools[0].school_id] if len(plan.schools) == 1 else []
    return hub_id_from("sim", name, *school)


def build_hub_config(campus: SimulatedCampus, hub: HubOptions, secrets: dict[str, str]) -> dict[str, Any]:
    """The config as plain data; ``secrets`` maps camera/sia/token to files relative to the config."""
    plan = campus.plan
    families = campus.running_families
    devices = []
    for device in campus.devices():
        entry: dict[str, Any] = {"id": device.id, "kind": device.kind, "adapter": ADAPTER_NAMES[device.family],
                                 "site": {"school_id": device.school_id,
                                          **{k: v for k, v in (("building", device.building), ("floor", device.floor),
                                                               ("zone", device.zone)) if v}}}
        if device.name:
            entry["name"] = device.name
        entry["options"] = _device_options(campus, device, secrets)
        if device.upstream and "snmp" in families:
            entry["upstream"] = {"device": device.upstream[0], "port": device.upstream[1]}
        devices.append(entry)
    listeners: dict[str, Any] = {"grpc": {"address": hub.grpc}}
    if hub.metrics:
        listeners["metrics"] = {"address": hub.metrics}
    pipeline = {} if hub.dedupe_window is None else {"pipeline": {"dedupe_window": hub.dedupe_window}}
    return {
        "hub": {"id": hub_id_of(plan), "name": f"simulated campus: {plan.scenario.name or plan.source}"},
        "journal": {"path": hub.journal, "durability": "normal"},
        "listeners": listeners,
        **pipeline,
        "logging": {"level": "warning"},
        "sites": [{"school_id": s.school_id, "region_code": s.region_code, "name": s.name} for s in plan.schools],
        "adapters": [{"name": ADAPTER_NAMES[f], "type": f, "options": _adapter_options(campus, f)} for f in families],
        "devices": devices,
        "subscribers": [{"id": SUBSCRIBER_ID, "token_sha256": f"${{file:{secrets['token']}}}",
                         "scope": {"all_regions": True}, "role": "supervisor"}],
        "alarms": {"classes": ALARM_CLASSES},
        **({"reports": {"region_names": dict(plan.scenario.region_names)}} if plan.scenario.region_names else {}),
        **({"linkage": section} if hub.linkage and (section := linkage_section(campus)) else {}),
    }


def secrets_dir(config_path: str | os.PathLike[str]) -> pathlib.Path:
    """Where the secrets of the config at ``config_path`` are kept: ``<name>.secrets/`` beside it."""
    path = pathlib.Path(config_path)
    return path.parent / f"{path.stem}.secrets"


def write_hub_config(campus: SimulatedCampus, path: str | os.PathLike[str], hub: HubOptions) -> str:
    """Write the config to ``path`` and the campus's credentials to its secrets directory; return
    the subscriber's plaintext token."""
    config_path = pathlib.Path(path)
    folder = secrets_dir(config_path).name
    campus.credentials.save(config_path.parent / folder)
    secrets = {"camera": f"{folder}/{CAMERA_PASSWORD}", "sia": f"{folder}/{SIA_KEY}", "token": f"{folder}/{TOKEN_SHA256}"}
    text = render(build_hub_config(campus, hub, secrets), campus)
    tmp = config_path.with_name(config_path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(config_path)  # a hub started on the file never sees half of it
    return campus.credentials.token


def config_text(campus: SimulatedCampus, hub: HubOptions) -> tuple[str, str]:
    """In-memory config (secrets inline, for the demo's own hub) and the plaintext token."""
    data = build_hub_config(campus, hub, {"camera": "-", "sia": "-", "token": "-"})
    for device in data["devices"]:
        options = device["options"]
        if "password" in options:
            options["password"] = campus.camera_password
        if "key" in options:
            options["key"] = campus.sia_key_hex
    data["subscribers"][0]["token_sha256"] = campus.credentials.token_sha256
    return render(data, campus), campus.credentials.token


def render(data: dict[str, Any], campus: SimulatedCampus) -> str:
    counts = ", ".join(f"{n} {family}" for family, n in campus.plan.count_by_family().items())
    head = (f"# Hub config for the simulated campus {campus.plan.scenario.name or campus.plan.source!r}\n"
            f"# written by `campus-hub simulate {campus.plan.source}` ({len(campus.plan.schools)} schools; "
            f"devices: {counts}).\n# Run: campus-hub run -c <this file>. Ports change each time the "
            "simulator starts: write it again then.\n")
    return head + dump_yaml(data)
