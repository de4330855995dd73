"""What a timeline step may say to each kind of device, and what event the hub should make of it.

The actions are each simulator's own scenario vocabulary (fire-panel, camera, SNMP, SIA), plus a
few campus words that read better in a timeline (``comms_lost`` for a fire panel's converter going
silent, ``panic`` for a one-button alarm press). Parameters are checked per kind, so a step that
gives a camera a ``zone`` is reported at its line.
"""
from __future__ import annotations

from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from hub.config.errors import validation_problems
from hub.config.problems import Path, Problem
from hub.config.source import Document

__all__ = ["ACTIONS", "FAMILY_OF_KIND", "KINDS", "SIA_CODES", "check_step_params", "expected_event", "params_model"]

FAMILY_OF_KIND = {"fire_panel": "modbus", "camera": "onvif", "switch": "snmp", "ups": "snmp",
                  "panic_button": "sia", "alarm_panel": "sia"}
KINDS = tuple(FAMILY_OF_KIND)

#: SIA DC-03 code sent for each campus word (see adapters/sia/codes.yaml for what the hub makes of it).
SIA_CODES = {"panic": "PA", "panic_restore": "PH", "holdup": "HA", "medical": "MA", "burglary": "BA",
             "burglary_restore": "BH", "tamper": "TA", "tamper_restore": "TR", "ac_loss": "AT", "ac_restore": "AR",
             "battery_low": "YT", "battery_restore": "YR", "arm": "CL", "disarm": "OP", "test": "RX"}

_CAMERA_EVENTS = ("motion", "cell_motion", "tamper", "scene_change", "video_loss", "digital_input", "relay")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FirePanelParams(_Params):
    zone: int | None = Field(None, ge=1, description="Zone number.")
    point: int | None = Field(None, ge=1, description="Detector (point) address.")
    loop: int | None = Field(None, ge=1, description="Loop of the point.")
    event: str | None = Field(None, description="Event type for raise/clear, e.g. fire.supervisory.")
    code: int | None = Field(None, ge=1, le=11, description="Modbus exception code for 'exception'.")
    seconds: float | None = Field(None, gt=0, description="comms_lost / converter_drop: restore after this long.")


class CameraParams(_Params):
    active: bool = Field(True, description="Event kinds: true starts it (motion on), false ends it.")
    source: str | None = Field(None, description="Event kinds: source token, e.g. vs1.")
    topic: str | None = Field(None, description="'event': the ONVIF topic, e.g. tns1:Vendor/Thing.")
    data: dict[str, str] = Field(default_factory=dict, description="'event': data items.")
    seconds: float = Field(0.0, description="'clock_skew': seconds.")
    on: bool = Field(True, description="'silent': true goes silent, false answers again.")
    mode: Literal["none", "garbage", "entity_bomb", "huge", "half", "slow", "bad_fault", "html_error"] = Field(
        "none", description="'misbehave': how to answer.")
    delay: float | None = Field(None, gt=0, description="'misbehave: slow': delay, seconds.")


class SnmpParams(_Params):
    port: int | None = Field(None, ge=1, description="Switch port (port_down, port_up, move_mac).")
    mac: str | None = Field(None, description="MAC address (move_mac, forget_mac).")
    count: int | None = Field(None, ge=0, description="answer_limit / error_after: requests.")


class SiaParams(_Params):
    zone: int | str = Field("", description="Zone (or user) number the panel reports.")
    area: int | str | None = Field(None, description="Area (partition).")
    user: int | str | None = Field(None, description="User number.")
    text: str | None = Field(None, description="Free text.")
    code: str | None = Field(None, description="'sia': a SIA DC-03 code, e.g. PA.")
    event: int | None = Field(None, ge=0, le=999, description="'contact_id': the event code, e.g. 130.")
    qualifier: Literal["1", "3", "6"] = Field("1", description="'contact_id': 1 new, 3 restore, 6 status.")

    @pydantic.field_validator("code")
    @classmethod
    def _two_capitals(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 2 and value.isascii() and value.isupper() and value.isalpha()):
            raise ValueError(f"{value!r} is not a SIA DC-03 code; expected two capital letters such as PA, BA, FA")
        return value


#: kind -> action -> parameters it needs
ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "fire_panel": {"fire": (), "fault": (), "raise": ("event",), "clear": ("event",), "reset": (),
                   "ac_loss": (), "ac_restore": (), "comms_lost": (), "comms_restored": (), "converter_drop": (),
                   "exception": (), "short_answers": (), "full_answers": ()},
    "camera": {**{kind: () for kind in _CAMERA_EVENTS}, "event": ("topic",), "reboot": (), "clock_skew": (),
               "silent": (), "misbehave": ()},
    "switch": {"port_down": ("port",), "port_up": ("port",), "move_mac": ("mac", "port"), "forget_mac": ("mac",),
               "reboot": (), "silent": (), "answer": (), "answer_limit": ("count",), "error_after": ("count",)},
    "ups": {"mains_off": (), "mains_on": (), "battery_low": (), "battery_normal": (), "reboot": (), "silent": (),
            "answer": ()},
    "panic_button": {**{word: () for word in SIA_CODES}, "link_test": (), "sia": ("code",), "contact_id": ("event",)},
}
ACTIONS["alarm_panel"] = ACTIONS["panic_button"]

_PARAMS = {"fire_panel": FirePanelParams, "camera": CameraParams, "switch": SnmpParams, "ups": SnmpParams,
           "panic_button": SiaParams, "alarm_panel": SiaParams}


def params_model(kind: str) -> type[BaseModel]:
    return _PARAMS[kind]


def check_step_params(doc: Document, path: Path, kind: str, do: str, params: dict[str, Any]) -> list[Problem]:
    """Problems with a timeline step's ``do`` and parameters for a device of ``kind``."""
    actions = ACTIONS[kind]
    if do not in actions:
        return [doc.problem(path + ("do",), f"a {kind} cannot {do!r}", f"one of: {', '.join(actions)}")]
    model = _PARAMS[kind]
    try:
        validated = model.model_validate(params)
    except pydantic.ValidationError as exc:
        return validation_problems(exc, doc, model=model, data=params, prefix=path)
    missing = [name for name in actions[do] if getattr(validated, name) in (None, "")]
    if kind == "fire_panel" and do in ("fire", "fault") and validated.zone is None and validated.point is None:
        missing.append("zone (or point)")
    if missing:
        return [doc.problem(path, f"'{do}' needs {', '.join(missing)}",
                            f"{', '.join(m.split()[0] + ': ...' for m in missing)} in the step")]
    return []


def expected_event(kind: str, do: str, params: BaseModel) -> tuple[str, str] | None:
    """(event type, state) the hub is expected to publish for a step, when there is a plain one.

    Used by benchmarks to time device-to-subscriber delay; the hub's own mapping tables remain the
    authority (adapters/*/mapping, codes.yaml, taxonomy).
    """
    if kind == "fire_panel":
        if do in ("fire", "fault"):
            return f"fire.{'alarm' if do == 'fire' else 'fault'}", "raised"
        if do in ("raise", "clear"):
            return params.event, "raised" if do == "raise" else "cleared"
        if do in ("ac_loss", "ac_restore"):
            return "power.ac_loss", "raised" if do == "ac_loss" else "cleared"
        return None
    if kind == "camera":
        types = {"motion": "video.motion", "cell_motion": "video.motion", "tamper": "video.tamper",
                 "scene_change": "video.tamper", "video_loss": "video.signal_loss"}
        return (types[do], "raised" if params.active else "cleared") if do in types else None
    if kind == "switch" and do in ("port_down", "port_up"):
        return "network.link_down", "raised" if do == "port_down" else "cleared"
    if kind == "ups" and do in ("mains_off", "mains_on"):
        return "power.on_battery", "raised" if do == "mains_off" else "cleared"
    if kind in ("panic_button", "alarm_panel"):
        sia = {"panic": ("panic.alarm", "raised"), "panic_restore": ("panic.alarm", "cleared"),
               "burglary": ("intrusion.burglary", "raised"), "burglary_restore": ("intrusion.burglary", "cleared"),
               "tamper": ("intrusion.tamper", "raised"), "arm": ("intrusion.armed", "momentary"),
               "disarm": ("intrusion.disarmed", "momentary")}
        return sia.get(do)
    return None
