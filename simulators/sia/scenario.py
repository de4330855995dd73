"""Scenario files for the SIA transmitter simulator: a YAML list of steps, run in order.

```yaml
- sia: PA          # SIA DC-03 code; zone, area, user, text optional
  zone: 1
- contact_id: 130  # Contact ID event; zone, partition, qualifier (1 new, 3 restore, 6 status)
  zone: 15
- null: true       # NULL link test
- wait: 2.5        # seconds
- misbehave:       # switches for the steps that follow
    bad_crc: true
    clock_skew_s: 600
    wrong_key: false
```
"""
from __future__ import annotations

import asyncio
import pathlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.config.errors import describe_value, validation_problems
from hub.config.problems import Problem
from hub.config.source import Document, parse_yaml
from simulators.scenario_files import ScenarioFileError, read_scenario_file
from simulators.sia.transmitter import Delivery, Printer, SiaTransmitter

__all__ = ["ScenarioFileError", "Step", "load_scenario", "load_scenario_text", "run_scenario"]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiaStep(_Step):
    sia: str = Field(..., description="SIA DC-03 event code, two capitals, e.g. PA")
    zone: int | str = ""
    area: int | str | None = None
    user: int | str | None = None
    text: str | None = None

    @field_validator("sia")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"{value!r} is not a SIA DC-03 code; expected two capital letters such as PA (panic) "
                             "or FA (fire)")
        return value


class ContactIdStep(_Step):
    contact_id: int = Field(..., ge=0, le=999)
    zone: int = Field(0, ge=0, le=999)
    partition: int = Field(1, ge=0, le=99)
    qualifier: Literal["1", "3", "6", 1, 3, 6] = "1"


class NullStep(_Step):
    null: Literal[True]


class WaitStep(_Step):
    wait: float = Field(..., ge=0)


class Misbehaviour(_Step):
    bad_crc: bool | None = None
    clock_skew_s: float | None = None
    wrong_key: bool | None = None


class MisbehaveStep(_Step):
    misbehave: Misbehaviour


Step = SiaStep | ContactIdStep | NullStep | WaitStep | MisbehaveStep
#: The key a step starts with says what it does.
_STEP_KINDS: dict[str, type[_Step]] = {"sia": SiaStep, "contact_id": ContactIdStep, "null": NullStep,
                                       "wait": WaitStep, "misbehave": MisbehaveStep}
_ONE_OF = f"a step with one of {', '.join(f'{key}:' for key in _STEP_KINDS)} (e.g. '- sia: PA')"


def load_scenario(path: str | pathlib.Path) -> list[Step]:
    """Read and validate a scenario file; :class:`ScenarioFileError` lists what is wrong where."""
    return read_scenario_file(path, load_scenario_text)


def load_scenario_text(text: str, source: str = "<scenario>") -> list[Step]:
    """Validate scenario ``text`` (named ``source`` in problems, which carry file:line:column)."""
    doc, problems = parse_yaml(text, source, expected="a list of steps such as '- sia: PA'")
    if doc is None:
        raise ScenarioFileError(problems)
    if not isinstance(doc.data, list):
        raise ScenarioFileError(problems + [doc.problem((), f"is {describe_value(doc.data)}, not a list of steps",
                                                        f"a list: one '- ' item per step, {_ONE_OF}")])
    steps = []
    for index, item in enumerate(doc.data):
        kind = _kind_of(doc, index, item, problems)
        if kind is None:
            continue
        try:
            steps.append(kind.model_validate(item))
        except ValidationError as exc:
            problems += validation_problems(exc, doc, model=kind, data=item, prefix=(index,))
    if problems:
        raise ScenarioFileError(problems)
    return steps


def _kind_of(doc: Document, index: int, item: object, problems: list[Problem]) -> type[_Step] | None:
    if not isinstance(item, dict):
        problems.append(doc.problem((index,), f"is {describe_value(item)}, not a step", _ONE_OF))
        return None
    kinds = [key for key in item if key in _STEP_KINDS]
    if len(kinds) == 1:
        return _STEP_KINDS[kinds[0]]
    if kinds:
        problems.append(doc.problem((index,), f"one step does one thing, this one has {' and '.join(kinds)}",
                                    "each in its own '- ' step"))
    else:
        problems.append(doc.problem((index,), f"a step with keys {', '.join(map(str, item)) or 'none'} does nothing",
                                    _ONE_OF))
    return None


async def run_scenario(tx: SiaTransmitter, steps: list[Step], log: Printer = print) -> list[Delivery]:
    deliveries = []
    for step in steps:
        if isinstance(step, SiaStep):
            deliveries.append(await tx.send_sia(step.sia, step.zone, area=step.area, user=step.user, text=step.text))
        elif isinstance(step, ContactIdStep):
            deliveries.append(await tx.send_contact_id(step.contact_id, step.zone, qualifier=str(step.qualifier),
                                                       partition=step.partition))
        elif isinstance(step, NullStep):
            deliveries.append(await tx.send_null())
        elif isinstance(step, WaitStep):
            await asyncio.sleep(step.wait)
        else:
            for name, value in step.misbehave.model_dump(exclude_none=True).items():
                setattr(tx, name, value)
                log(f"misbehaviour: {name} = {value}")
    return deliveries
