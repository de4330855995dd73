"""Scenarios for the fire-panel simulator: which panels to serve and what happens to them when.

A scenario file (YAML) has ``endpoints`` (optional when the command line gives panels) and
``steps``; each step happens ``at`` seconds after the start::

    endpoints:
      - port: 5020
        framer: tcp            # or rtu-over-tcp
        panels:
          - {name: fp-a, profile: notifier-gw, unit: 1}
    steps:
      - {at: 2, do: fire, panel: fp-a, zone: 3}
      - {at: 4, do: fault, panel: fp-a, point: 17, loop: 1}
      - {at: 6, do: reset, panel: fp-a}
      - {at: 8, do: ac_loss, panel: fp-a}
      - {at: 9, do: converter_drop, port: 5020}

The same step vocabulary is typed interactively: ``fire fp-a zone=3``.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from adapters.modbus.profile import ProfileName, resolve_profile
from hub.config.source import read_yaml_file
from hub.config.yaml_model import load_yaml_model
from simulators.fire_panel.panel import ScenarioError
from simulators.fire_panel.server import ANSWER_FAULTS, EndpointSpec, FirePanelSimulator, PanelSpec
from simulators.scenario_files import ScenarioFileError

__all__ = ["Scenario", "ScenarioFileError", "Step", "apply_step", "load_scenario", "parse_command", "run_steps"]

Action = Literal[
    "fire", "fault", "raise", "clear", "reset", "ac_loss", "ac_restore",
    "converter_drop", "silent", "answer", "exception", "answer_fault", "stop", "restart",
]
_PANEL_ACTIONS = {"fire", "fault", "raise", "clear", "reset", "ac_loss", "ac_restore", "exception",
                  "answer_fault"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PanelEntry(_Strict):
    name: str = Field(description="Panel name used by steps.")
    profile: ProfileName = Field("generic", description="Profile name (config/profiles/<name>.yaml) or path.")
    unit: int = Field(1, ge=1, le=247, description="Modbus unit id on this endpoint.")


class EndpointEntry(_Strict):
    port: int = Field(0, ge=0, le=65535, description="TCP port (0: any free port).")
    framer: Literal["tcp", "rtu-over-tcp"] = Field("tcp", description="Modbus TCP or RTU framing over TCP.")
    panels: list[PanelEntry] = Field(min_length=1)


class Step(_Strict):
    at: float = Field(0.0, ge=0, description="Seconds after the scenario starts.")
    do: Action = Field(description="What happens.")
    panel: str | None = Field(None, description="Panel name (for panel actions).")
    zone: int | None = Field(None, description="Zone number (fire, fault, raise, clear).")
    point: int | None = Field(None, description="Point (detector) address (fire, fault, raise, clear).")
    loop: int | None = Field(None, description="Loop of the point.")
    event: str | None = Field(None, description="Event type for raise/clear, e.g. fire.supervisory.")
    port: int | None = Field(None, description="Endpoint port for converter actions (default: all).")
    code: int | None = Field(None, ge=1, le=11, description="Exception code for 'exception' (omit to stop).")
    seconds: float | None = Field(None, gt=0, description="converter_drop/silent: restore after this long.")
    fault: Literal["short", "wrong_unit"] | None = Field(None, description="answer_fault: how (omit to stop).")

    @pydantic.model_validator(mode="after")
    def _needs(self) -> Step:
        if self.do in _PANEL_ACTIONS and not self.panel:
            raise ValueError(f"'{self.do}' needs 'panel:'")
        if self.do in ("raise", "clear") and not self.event:
            raise ValueError(f"'{self.do}' needs 'event:' (e.g. fire.supervisory)")
        if self.do == "fire" and self.zone is None and self.point is None:
            raise ValueError("'fire' needs 'zone:' or 'point:'")
        return self


class Scenario(_Strict):
    endpoints: list[EndpointEntry] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)


def load_scenario(path: str | Path) -> tuple[Scenario, list[EndpointSpec]]:
    """Read a scenario file and load the profiles its panels use."""
    text, problems = read_yaml_file(path, "a readable scenario .yaml file", what="scenario")
    if text is None:
        raise ScenarioFileError(problems)
    scenario, _, problems = load_yaml_model(text, str(path), Scenario)
    if scenario is None:
        raise ScenarioFileError(problems)
    # Validation loaded every profile once; these come from resolve_profile's cache.
    endpoints = [EndpointSpec([PanelSpec(panel.name, resolve_profile(panel.profile), panel.unit)
                               for panel in entry.panels], entry.port, entry.framer)
                 for entry in scenario.endpoints]
    return scenario, endpoints


def parse_command(line: str) -> Step:
    """An interactive command: ``<do> [panel] [key=value ...]``, e.g. ``fire fp-a zone=3``."""
    words = line.split()
    if not words:
        raise ScenarioError("empty command")
    fields: dict[str, object] = {"do": words[0]}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = value
        else:
            fields["panel"] = word
    try:
        return Step.model_validate(fields)
    except pydantic.ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'command'}: {e['msg'].removeprefix('Value error, ')}"
                            for e in exc.errors())
        raise ScenarioError(reasons) from None


async def apply_step(sim: FirePanelSimulator, step: Step) -> str:
    """Make one step happen; return what happened, in words."""
    where = {"zone": step.zone, "point": step.point, "loop": step.loop}
    at = " ".join(f"{k} {v}" for k, v in where.items() if v is not None) or "panel"
    if step.do in ("fire", "fault", "raise", "clear"):
        event = step.event or {"fire": "fire.alarm", "fault": "fire.fault"}[step.do]
        sim.panel(step.panel).raise_condition(event, **where, on=step.do != "clear")
        return f"{step.panel}: {event} {'cleared' if step.do == 'clear' else 'raised'} at {at}"
    if step.do == "reset":
        sim.panel(step.panel).reset()
        return f"{step.panel}: reset (alarms, faults and silence cleared)"
    if step.do in ("ac_loss", "ac_restore"):
        sim.panel(step.panel).raise_condition("power.ac_loss", on=step.do == "ac_loss")
        return f"{step.panel}: mains power {'lost' if step.do == 'ac_loss' else 'restored'}"
    if step.do == "exception":
        sim.set_exception(step.panel, step.code)
        return f"{step.panel}: " + (f"answers exception {step.code}" if step.code else "answers normally")
    if step.do == "answer_fault":
        sim.set_answer_fault(step.panel, step.fault)
        return f"{step.panel}: {ANSWER_FAULTS[step.fault]}"
    if step.do == "converter_drop" and not step.seconds:
        dropped = sim.drop_connections(step.port)
        return f"converter dropped {dropped} connection(s)"
    if step.do in ("converter_drop", "silent"):
        # A converter that is down for a while: links dropped (if asked) and nothing answered.
        if step.do == "converter_drop":
            sim.drop_connections(step.port)
        sim.set_answering(False, step.port)
        if step.seconds:
            asyncio.get_running_loop().call_later(step.seconds, sim.set_answering, True, step.port)
        return f"converter {'down' if step.do == 'converter_drop' else 'silent'}" + (
            f" for {step.seconds:g} s" if step.seconds else "")
    if step.do == "answer":
        sim.set_answering(True, step.port)
        return "converter answering again"
    if step.do == "stop":
        await sim.stop()
        return "simulator stopped (ports closed)"
    await sim.restart()
    return "simulator restarted on the same ports"


async def run_steps(sim: FirePanelSimulator, steps: list[Step]) -> None:
    """Play steps at their times (relative to now), printing each through ``sim.say``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    for step in sorted(steps, key=lambda s: s.at):
        delay = started + step.at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            sim.say(f"[t={step.at:g}s] " + await apply_step(sim, step))
        except (ScenarioError, KeyError) as exc:
            sim.say(f"[t={step.at:g}s] step skipped: {exc}")
