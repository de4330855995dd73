"""Scenarios: timed steps that make simulated cameras do things.

A scenario is a YAML (or JSON) list of steps, run in order::

    - {at: 1.0, camera: cam-1, action: motion, active: true}
    - {at: 3.0, camera: cam-1, action: motion, active: false}
    - {at: 4.0, camera: "*", action: tamper, active: true}
    - {at: 5.0, camera: cam-2, action: event, topic: "tns1:Vendor/Thing", data: {Level: "3"}}
    - {at: 6.0, camera: cam-2, action: reboot}
    - {at: 7.0, camera: cam-3, action: clock_skew, seconds: 3600}
    - {at: 8.0, camera: cam-3, action: silent, on: true}
    - {at: 9.0, camera: cam-3, action: misbehave, mode: half}

``at`` is seconds from the scenario start. Event actions are the kinds of
:data:`simulators.camera.camera.EVENT_KINDS` (motion, cell_motion, tamper, scene_change,
video_loss, digital_input, relay) with ``active``; an optional ``source`` overrides the token.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hub.config.source import parse_yaml
from simulators.camera.camera import EVENT_KINDS, MISBEHAVIOURS, SimulatedCamera
from simulators.scenario_files import ScenarioFileError, read_scenario_file

__all__ = ["ScenarioFileError", "Step", "StepError", "load_scenario", "load_scenario_text", "parse_steps", "apply_step",
           "run_scenario"]

_ACTIONS = {*EVENT_KINDS, "event", "reboot", "clock_skew", "silent", "misbehave"}


@dataclasses.dataclass(frozen=True)
class Step:
    at: float
    camera: str
    action: str
    args: Mapping[str, Any]


class StepError(ValueError):
    """One wrong step: ``path`` is where in the scenario (step index, then key), for file:line."""

    def __init__(self, path: tuple, message: str, expected: str = "") -> None:
        number = f"step {path[0] + 1}: " if path else ""
        super().__init__(f"{number}{message}" + (f"; expected {expected}" if expected else ""))
        self.path, self.message, self.expected = path, message, expected


def parse_steps(raw: Sequence[Mapping[str, Any]]) -> list[Step]:
    """Steps from plain data; :class:`StepError` (a ValueError) says which step is wrong and why."""
    if not isinstance(raw, list):
        raise StepError((), "a scenario is a list of steps", "- {at: 1.0, camera: cam-1, action: motion, active: true}")
    steps = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise StepError((index,), f"is {item!r}, not a mapping", "{at: ..., camera: ..., action: ...}")
        args = dict(item)
        action = args.pop("action", None)
        if action not in _ACTIONS:
            raise StepError((index, "action") if "action" in item else (index,), f"unknown action {action!r}",
                            f"one of {', '.join(sorted(_ACTIONS))}")
        if action == "misbehave" and args.get("mode") not in MISBEHAVIOURS:
            raise StepError((index, "mode") if "mode" in item else (index,), "misbehave mode must be one of "
                            f"{', '.join(MISBEHAVIOURS)}")
        try:
            at = float(args.pop("at", 0))
        except (TypeError, ValueError):
            raise StepError((index, "at"), "'at' must be seconds", "a number such as 1.5") from None
        steps.append(Step(at=at, camera=str(args.pop("camera", "*")), action=action, args=args))
    return steps


def load_scenario(path: str) -> list[Step]:
    """Read a scenario file; :class:`ScenarioFileError` says what is wrong with file:line."""
    return read_scenario_file(path, load_scenario_text)


def load_scenario_text(text: str, source: str = "<scenario>") -> list[Step]:
    doc, problems = parse_yaml(text, source, expected="a list of steps such as '- {at: 1, camera: cam-1, action: motion}'")
    if doc is None or problems:
        raise ScenarioFileError(problems)
    try:
        return parse_steps(doc.data)
    except StepError as exc:
        raise ScenarioFileError([doc.problem(exc.path, exc.message, exc.expected)]) from None


def apply_step(camera: SimulatedCamera, step: Step) -> str:
    """Do ``step`` on ``camera``; returns a readable line saying what happened."""
    name, args = camera.config.name, step.args
    if step.action in EVENT_KINDS:
        active = bool(args.get("active", True))
        camera.trigger(step.action, active, source=args.get("source"))
        return f"{name}: {step.action} {'on' if active else 'off'}"
    if step.action == "event":
        data = tuple((str(k), str(v)) for k, v in dict(args.get("data", {})).items())
        source = tuple((str(k), str(v)) for k, v in dict(args.get("source", {})).items())
        camera.publish(str(args["topic"]), source, data, stateful=False)
        return f"{name}: event {args['topic']} {dict(data)}"
    if step.action == "reboot":
        camera.reboot()
        return f"{name}: rebooting (subscriptions lost, down {camera.config.reboot_downtime}s)"
    if step.action == "clock_skew":
        camera.set_clock_skew(float(args.get("seconds", 0)))
        return f"{name}: clock skewed by {camera.config.clock_skew:+.0f}s"
    if step.action == "silent":
        camera.set_silent(bool(args.get("on", True)))
        return f"{name}: {'going silent' if camera.silent else 'answering again'}"
    if step.action == "misbehave":
        camera.set_misbehaviour(args["mode"], delay=args.get("delay"))
        return f"{name}: misbehaving: {camera.misbehaviour}"
    raise AssertionError(step.action)


async def run_scenario(select: Callable[[str], list], steps: Sequence[Step], echo: Callable[[str], None]) -> None:
    """Run ``steps`` against the cameras ``select(name)`` returns (RunningCamera objects)."""
    started = time.monotonic()
    for step in steps:
        delay = step.at - (time.monotonic() - started)
        if delay > 0:
            await asyncio.sleep(delay)
        for running in select(step.camera):
            echo(apply_step(running.camera, step))
