"""Options of the NATS uplink (``uplinks: [{type: nats, options: ...}]``), see
docs/integrator-guide.md."""
from __future__ import annotations

import pathlib
import re
from typing import Annotated

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from hub.config.units import parse_duration
from hub.regions import validate_region_code, validate_region_prefix

__all__ = ["IngestOptions", "NatsOptions", "StreamOptions", "TlsOptions"]

Duration = Annotated[float, BeforeValidator(parse_duration)]


def _server_url(value: str) -> str:
    if not re.fullmatch(r"(nats|tls)://[^\s/]+:\d{1,5}", value):
        raise ValueError(f"{value!r} is not a NATS server URL; expected nats://host:port or tls://host:port")
    return value


def _token(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ValueError(f"{value!r} cannot be a NATS name; expected 1-64 letters, digits, '_' or '-'")
    return value


def _file(value: pathlib.Path, info: pydantic.ValidationInfo) -> pathlib.Path:
    base = (info.context or {}).get("base_dir") or pathlib.Path.cwd()
    value = value if value.is_absolute() else pathlib.Path(base, value)
    if not value.is_file():
        raise ValueError(f"file {str(value)!r} does not exist; expected a readable file")
    return value


File = Annotated[pathlib.Path, AfterValidator(_file)]
Name = Annotated[str, AfterValidator(_token)]


class _Options(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, validate_default=True)


class TlsOptions(_Options):
    ca_file: File = Field(description="PEM CA bundle the server's certificate is checked against.")
    cert_file: File | None = Field(None, description="Client certificate (PEM), when the server asks for one.")
    key_file: File | None = Field(None, description="Private key of cert_file.")

    @pydantic.model_validator(mode="after")
    def _pair(self) -> TlsOptions:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together; expected both or neither")
        return self


class StreamOptions(_Options):
    """The two JetStream streams of the federation (alarm lane and event lane)."""

    manage: bool = Field(True, description="true: create the streams, or update them to this config; false: "
                         "they are provisioned by the operator and only checked (a difference is an error).")
    alarm_stream: Name = Field("CAMPUS_ALARMS", description="Stream of the alarm lane.")
    event_stream: Name = Field("CAMPUS_EVENTS", description="Stream of the event lane.")
    replicas: int = Field(1, ge=1, le=5, description="Replicas of each stream (3 on a 3-node cluster).")
    max_age: Duration = Field("7d", gt=0, description="How long the streams keep messages.")
    duplicate_window: Duration = Field("1h", gt=0, description="Republishes of one journal sequence within this "
                                       "long are dropped by JetStream; longer than any republish can lag.")


class IngestOptions(_Options):
    """At a county, city or province hub: which lower hubs' events to journal here."""

    region_prefix: Annotated[str, AfterValidator(validate_region_prefix)] = Field(
        description="Region consumed: \"14\" a province, \"1408\" a city, \"140802\" a county.")
    origins: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="hub ids accepted; a message from any other origin is refused and counted.")
    durable: Name | None = Field(None, description="Durable consumer name prefix (default: this hub's id).")
    batch: int = Field(500, ge=1, le=10_000, description="Messages fetched per pull.")
    ack_wait: Duration = Field("30s", gt=0, description="Redelivered when not acknowledged within this long.")


class NatsOptions(_Options):
    servers: list[Annotated[str, AfterValidator(_server_url)]] = Field(
        min_length=1, description="NATS servers, e.g. [nats://127.0.0.1:4222] (a leaf node or a cluster node).")
    subject_prefix: Name = Field("campus", description="First token of every federation subject.")
    region: Annotated[str, AfterValidator(validate_region_code)] | None = Field(
        None, description="Region code used for this hub's events that carry none (hub and system events).")
    publish: bool = Field(True, description="Publish this hub's own events upwards.")
    window: int = Field(256, ge=1, le=65_536, description="Publishes in flight, awaiting JetStream's ack.")
    ack_timeout: Duration = Field("5s", gt=0, description="A publish not acknowledged within this long is retried.")
    connect_timeout: Duration = Field("2s", gt=0, description="Connecting (and each reconnect attempt).")
    streams: StreamOptions = Field(default_factory=StreamOptions, description="The JetStream streams.")
    ingest: IngestOptions | None = Field(None, description="Journal lower hubs' events here (upper levels).")
    tls: TlsOptions | None = Field(None, description="TLS to the server.")
    user: str | None = Field(None, description="User name (with password).")
    password: SecretStr | None = Field(None, description="Password; use ${ENV} or ${file:...}.")
    creds_file: File | None = Field(None, description="NATS .creds file (JWT and nkey seed).")
    nkey_seed_file: File | None = Field(None, description="File holding an nkey seed (SU...).")

    @pydantic.model_validator(mode="after")
    def _one_credential(self) -> NatsOptions:
        chosen = [name for name, value in (("user", self.user), ("creds_file", self.creds_file),
                                           ("nkey_seed_file", self.nkey_seed_file)) if value is not None]
        if len(chosen) > 1:
            raise ValueError(f"{' and '.join(chosen)} are both set; expected one way to authenticate")
        if (self.user is None) != (self.password is None):
            raise ValueError("user and password go together; expected both or neither")
        return self
