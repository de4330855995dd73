"""Adapter classes reached through real importlib.metadata EntryPoint objects in plugin tests."""
from __future__ import annotations

import pydantic

from hub.spi import Adapter


class GoodOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    interval: float = pydantic.Field(1.0, gt=0, description="Seconds between ticks.")


class GoodAdapter(Adapter):
    Options = GoodOptions

    async def run(self) -> None:
        raise NotImplementedError


class NotAnAdapter:
    pass
