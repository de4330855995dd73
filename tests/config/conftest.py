"""Test adapter types registered through hub.spi's override hook (the real adapters are
written in parallel and may not import yet)."""
from __future__ import annotations

import pydantic
import pytest
from pydantic import Field, SecretStr

from hub.spi import override_adapter_classes
from hub.spi import Adapter


class AlphaOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    port: int = Field(0, ge=0, le=65535, description="TCP port to listen on.")
    password: SecretStr = Field(SecretStr(""), description="Receiver password.")

    @pydantic.field_validator("password")
    @classmethod
    def _not_default(cls, value: SecretStr) -> SecretStr:
        # A careless plugin that quotes the value; the config layer must scrub it.
        if value.get_secret_value().startswith("admin"):
            raise ValueError(f"password {value.get_secret_value()!r} is a factory default; expected your own")
        return value


class AlphaDeviceOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    account: str = Field(description="Account number of the panel.")
    poll_interval: float = Field(5.0, gt=0, description="Seconds between polls.")


class AlphaAdapter(Adapter):
    Options = AlphaOptions
    DeviceOptions = AlphaDeviceOptions

    async def run(self) -> None:
        raise NotImplementedError


class SyntheticForTests(Adapter):
    async def run(self) -> None:
        raise NotImplementedError


TEST_ADAPTERS = {"alpha": AlphaAdapter, "synthetic": SyntheticForTests}


@pytest.fixture(autouse=True)
def test_adapter_types():
    with override_adapter_classes(TEST_ADAPTERS):
        yield TEST_ADAPTERS
