"""Configuration of the SIA DC-09 receiver (``adapters[].options``) and its accounts
(``devices[].options``). These pydantic models are the config schema."""
from __future__ import annotations

import os
import re
import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from adapters.sia.crypto import KeyFormat, parse_key
from adapters.sia.errors import KeyFormatError
from adapters.sia.receiver import AccountPolicy


class SiaOptions(BaseModel):
    """The receiver: where it listens and the limits that protect it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("0.0.0.0", description="Address to listen on (TCP and UDP); '::' for IPv6.")
    tcp_port: int | None = Field(55001, ge=0, le=65535,
                                 description="TCP port for panels (0: any free port; null: no TCP).")
    udp_port: int | None = Field(None, ge=0, le=65535,
                                 description="UDP port for panels (0: any free port; null: no UDP).")
    max_frame_bytes: int = Field(1024, ge=64, le=4106,
                                 description="Largest frame accepted; bigger ones are dropped and counted.")
    max_connections: int = Field(512, ge=1, description="Concurrent TCP connections (more are refused), and UDP "
                                                        "frames in progress at once (more are dropped).")
    idle_timeout_s: float = Field(300.0, gt=0, description="Close a TCP connection silent for this long.")
    max_pending_frames: int = Field(32, ge=1,
                                    description="Frames one TCP connection may have awaiting their ACK before we "
                                                "stop reading from it (back-pressure).")
    duplicate_window_s: float = Field(600.0, ge=0,
                                      description="A frame repeating account, sequence and content within this "
                                                  "time is a retry: ACKed again, not emitted again.")
    unmapped_codes: Literal["emit", "duh"] = Field(
        "emit", description="Codes missing from the mapping table: 'emit' a system.unmapped_code event and ACK "
                            "(nothing is lost), or answer 'duh' (what pysiaalarm does).")

    @model_validator(mode="after")
    def _listens_somewhere(self) -> SiaOptions:
        if self.tcp_port is None and self.udp_port is None:
            raise ValueError("set tcp_port and/or udp_port: with both null the receiver cannot hear any panel")
        return self


class SiaDeviceOptions(BaseModel):
    """One transmitter account (a panel or a one-button alarm box)."""

    # hide_input_in_errors: a validation error must not echo the key into a log.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    account: str = Field(..., description="Account number the panel sends: 3-16 hex digits.")
    key: SecretStr | None = Field(None, description="AES key (prefer key_env: keys do not belong in files).")
    key_env: str | None = Field(None, description="Name of the environment variable holding the AES key.")
    key_format: KeyFormat | None = Field(
        None, description="How the key is written: 'hex' (32/48/64 hex digits) or 'ascii' (the 16/24/32 "
                          "characters are the key bytes, as pysiaalarm and Ajax use). Required with a key.")
    allow_plaintext: bool = Field(False, description="Accept unencrypted frames although a key is set.")
    check_timestamp: bool = Field(True, description="NAK frames whose time is outside the window (replays, "
                                                    "wrong clocks). Turn off for panels with no usable clock.")
    device_timezone: str = Field("UTC", description="IANA timezone of the panel clock (DC-09 says UTC; some panels "
                                                    "send local time, e.g. 'Asia/Shanghai').")
    window_before_s: float = Field(40.0, ge=0, description="Accept frame times this far behind ours.")
    window_after_s: float = Field(20.0, ge=0, description="Accept frame times this far ahead of ours.")
    supervision_s: float | None = Field(None, gt=0, description="Expect a message or NULL link test this often; "
                                                                "silence beyond it reports the device offline.")

    @field_validator("account")
    @classmethod
    def _account_is_hex(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Fa-f]{3,16}", value):
            raise ValueError(f"account must be 3-16 hex digits (0-9, A-F) as the panel sends it, got {value!r}")
        return value.upper()

    @field_validator("device_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'UTC' or 'Asia/Shanghai'") from None
        return value

    @model_validator(mode="after")
    def _key_is_usable(self) -> SiaDeviceOptions:
        if self.key is not None and self.key_env is not None:
            raise ValueError("give the key either as key or as key_env, not both")
        if (self.key is not None or self.key_env is not None) and self.key_format is None:
            raise ValueError("key_format is required with a key: 'hex' (e.g. 32 hex digits) or 'ascii' (16 characters)")
        if self.key is not None:
            try:
                parse_key(self.key.get_secret_value(), self.key_format)
            except KeyFormatError as exc:
                raise ValueError(f"key: {exc}") from None
        return self

    def resolve_key(self) -> bytes | None:
        """The AES key bytes, reading ``key_env`` now; a clear ValueError when it is missing or bad."""
        if self.key is not None:
            return parse_key(self.key.get_secret_value(), self.key_format)
        if self.key_env is None:
            return None
        text = os.environ.get(self.key_env)
        if not text:
            raise ValueError(f"account {self.account}: environment variable {self.key_env} (key_env) is not set")
        try:
            return parse_key(text, self.key_format)
        except KeyFormatError as exc:
            raise ValueError(f"account {self.account}: key in ${self.key_env}: {exc}") from None

    def policy(self, device_id: str) -> AccountPolicy:
        return AccountPolicy(
            account=self.account,
            device_id=device_id,
            key=self.resolve_key(),
            allow_plaintext=self.allow_plaintext,
            check_timestamp=self.check_timestamp,
            timezone=zoneinfo.ZoneInfo(self.device_timezone),
            window_before_s=self.window_before_s,
            window_after_s=self.window_after_s,
        )
