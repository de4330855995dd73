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
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from simulators.sia.transmitter import Delivery, Printer, SiaTransmitter


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiaStep(_Step):
    sia: str = Field(..., pattern=r"^[A-Z]{2}$", description="SIA DC-03 event code, e.g. PA")
    zone: int | str = ""
    area: int | str | None = None
    user: int | str | None = None
    text: str | None = None


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


Step = Annotated[SiaStep | ContactIdStep | NullStep | WaitStep | MisbehaveStep, Field(union_mode="left_to_right")]
_STEPS = TypeAdapter(list[Step])


def load_scenario(path: str | pathlib.Path) -> list[Step]:
    """Read and validate a scenario file; ValueError says which step is wrong and why."""
    text = pathlib.Path(path).read_text("utf-8")
    try:
        return _STEPS.validate_python(yaml.safe_load(text) or [])
    except ValidationError as exc:
        raise ValueError(f"{path}: not a valid SIA scenario:\n{exc}") from None


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
