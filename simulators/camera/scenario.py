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

import yaml

from simulators.camera.camera import EVENT_KINDS, MISBEHAVIOURS, SimulatedCamera

__all__ = ["Step", "load_scenario", "parse_steps", "apply_step", "run_scenario"]

_ACTIONS = {*EVENT_KINDS, "event", "reboot", "clock_skew", "silent", "misbehave"}


@dataclasses.dataclass(frozen=True)
class Step:
    at: float
    camera: str
    action: str
    args: Mapping[str, Any]


def parse_steps(raw: Sequence[Mapping[str, Any]]) -> list[Step]:
    if not isinstance(raw, list):
        raise ValueError("a scenario is a list of steps")
    steps = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            raise ValueError(f"step {number}: expected a mapping, got {item!r}")
        args = dict(item)
        action = args.pop("action", None)
        if action not in _ACTIONS:
            raise ValueError(f"step {number}: unknown action {action!r}; expected one of {', '.join(sorted(_ACTIONS))}")
        if action == "misbehave" and args.get("mode") not in MISBEHAVIOURS:
            raise ValueError(f"step {number}: misbehave mode must be one of {', '.join(MISBEHAVIOURS)}")
        try:
            at = float(args.pop("at", 0))
        except (TypeError, ValueError):
            raise ValueError(f"step {number}: 'at' must be seconds") from None
        steps.append(Step(at=at, camera=str(args.pop("camera", "*")), action=action, args=args))
    return steps


def load_scenario(path: str) -> list[Step]:
    with open(path, encoding="utf-8") as handle:
        return parse_steps(yaml.safe_load(handle) or [])


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
