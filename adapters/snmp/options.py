"""Configuration of the SNMP adapter (``adapters[].options``) and its devices (``devices[].options``)."""
from __future__ import annotations

import ipaddress
from typing import Literal

import pydantic
from pydantic import Field, SecretStr

from .ports import PHYSICAL_IF_TYPES, PortSelection

AuthProtocol = Literal["none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"]
PrivProtocol = Literal["none", "des", "aes", "aes192", "aes256"]


def _hex_engine_id(value: str) -> str:
    text = value.lower().removeprefix("0x").replace(":", "")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"engine id must be hex like 0x80001f8880e9630000d61ff449, got {value!r}") from None
    if not 5 <= len(raw) <= 32:
        raise ValueError(f"engine id must be 5..32 octets (RFC 3411), got {len(raw)}")
    return text


def _ip_address(value: str, field: str, example: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{field} must be an IP address like {example}, got {value!r}") from None
    return value


class UsmUserOptions(pydantic.BaseModel):
    """An SNMPv3 USM user, for receiving v3 traps/informs and for v3 polling."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=32, description="USM user name (msgUserName)")
    auth_protocol: AuthProtocol = Field("sha256", description="authentication: sha256 (HMAC-SHA-256-192), sha512, ... or none")
    auth_key: SecretStr = Field(SecretStr(""), description="authentication passphrase (>= 8 characters); empty: noAuth")
    priv_protocol: PrivProtocol = Field("aes", description="privacy: aes (AES-128-CFB), aes192, aes256, des or none")
    priv_key: SecretStr = Field(SecretStr(""), description="privacy passphrase (>= 8 characters); empty: noPriv")
    engine_ids: list[str] = Field(default_factory=list, description=(
        "engine ids (hex) of devices that send this user's v3 *traps*; devices' own engine_id options are added "
        "automatically. Not needed for informs (the hub is authoritative for those)"))

    @pydantic.field_validator("auth_key", "priv_key")
    @classmethod
    def _key_length(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 8:
            raise ValueError("SNMPv3 passphrases must be at least 8 characters (RFC 3414)")
        return value

    @pydantic.field_validator("engine_ids")
    @classmethod
    def _engine_ids(cls, value: list[str]) -> list[str]:
        return [_hex_engine_id(v) for v in value]

    @pydantic.model_validator(mode="after")
    def _priv_needs_auth(self) -> UsmUserOptions:
        if self.priv_key.get_secret_value() and not self.auth_key.get_secret_value():
            raise ValueError(f"user {self.name}: a priv_key needs an auth_key too (authPriv)")
        return self


class SnmpOptions(pydantic.BaseModel):
    """The adapter instance: the trap receiver and what all devices share."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    trap_host: str = Field("0.0.0.0", description="address the trap/inform receiver binds to (:: for IPv6)")
    trap_port: int = Field(162, ge=0, le=65535, description="UDP port for traps and informs (0: any free port)")
    communities: list[SecretStr] = Field(default_factory=lambda: [SecretStr("public")], description=(
        "v1/v2c communities accepted in traps (devices' own communities are accepted too)"))
    users: list[UsmUserOptions] = Field(default_factory=list, description="SNMPv3 users (traps, informs, polling)")
    terminal_gone_after: float = Field(1800.0, gt=0, description=(
        "seconds a MAC must be absent from every forwarding table before network.terminal_gone"))
    trunk_mac_threshold: int = Field(0, ge=0, description=(
        "ports carrying more MACs than this are treated as uplinks for terminal collection (0: off)"))
    max_concurrent_polls: int = Field(64, ge=1, le=4096, description="polls in flight at once over all devices")
    max_repetitions: int = Field(25, ge=1, le=200, description="GETBULK max-repetitions for walks")

    @pydantic.field_validator("trap_host")
    @classmethod
    def _address(cls, value: str) -> str:
        return _ip_address(value, "trap_host", "0.0.0.0 or ::")

    @pydantic.model_validator(mode="after")
    def _unique_users(self) -> SnmpOptions:
        names = [u.name for u in self.users]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"SNMPv3 users listed twice: {', '.join(duplicates)}")
        return self


class SnmpDeviceOptions(pydantic.BaseModel):
    """One switch or UPS."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    host: str = Field(description="IP address (or name) the device is polled at")
    port: int = Field(161, ge=1, le=65535, description="SNMP agent UDP port")
    version: Literal["v1", "v2c", "v3"] = Field("v2c", description="SNMP version for polling")
    community: SecretStr = Field(SecretStr("public"), description="v1/v2c community (polling and its traps)")
    user: str | None = Field(None, description="SNMPv3 user name (one of the adapter's users) for version v3")
    context: str = Field("", description="SNMPv3 context name (some devices expose per-VLAN tables this way)")
    engine_id: str | None = Field(None, description="the device's SNMPv3 engine id (hex), to accept its v3 traps")
    trap_source: str | None = Field(None, description="IP its traps come from, if not host (NAT, other interface)")
    poll_interval: float = Field(60.0, gt=0, description="seconds between polls (reachability, sysUpTime, ports, UPS)")
    timeout: float = Field(2.0, gt=0, description="seconds to wait for each answer")
    retries: int = Field(1, ge=0, le=10, description="retries before a request counts as timed out")
    interfaces: bool = Field(True, description="poll IF-MIB ifOperStatus (switches)")
    watch_ports: list[int] | None = Field(None, description=(
        "ifIndexes to report link changes for (default: every port of the watch_if_types)"))
    watch_if_types: list[int] | None = Field(sorted(PHYSICAL_IF_TYPES), description=(
        "IANAifType values of the ports to watch when watch_ports is not given (default: physical "
        "Ethernet ports 6, 7, 62, 69, 117; 'all': every interface, VLAN interfaces and loopbacks too)"))
    watch_admin_down: bool = Field(False, description=(
        "report link changes of ports an administrator shut (ifAdminStatus down) too"))
    ups: bool = Field(False, description="poll UPS-MIB (battery status, output source)")
    terminals: bool = Field(False, description="collect terminal MACs from the bridge forwarding tables")
    fdb_mib: Literal["auto", "bridge", "qbridge"] = Field("auto", description=(
        "forwarding table to read: qbridge (dot1qTpFdbTable), bridge (dot1dTpFdbTable), auto: Q-BRIDGE if it has rows"))
    terminal_interval: float = Field(300.0, gt=0, description="seconds between forwarding-table reads")
    uplink_ports: list[int] = Field(default_factory=list, description=(
        "ifIndexes of uplinks/trunks: MACs there sit on other switches and are not collected here"))

    @pydantic.field_validator("engine_id")
    @classmethod
    def _engine_id(cls, value: str | None) -> str | None:
        return None if value is None else _hex_engine_id(value)

    @pydantic.field_validator("watch_if_types", mode="before")
    @classmethod
    def _if_types(cls, value):
        if value == "all":
            return None
        if isinstance(value, str):
            raise ValueError(f"expected 'all' or a list of IANAifType numbers like [6, 117], got {value!r}")
        return value

    @pydantic.field_validator("trap_source")
    @classmethod
    def _trap_source(cls, value: str | None) -> str | None:
        return None if value is None else _ip_address(value, "trap_source", "10.20.0.2")

    def port_selection(self) -> PortSelection:
        return PortSelection(
            ports=frozenset(self.watch_ports) if self.watch_ports is not None else None,
            if_types=None if self.watch_if_types is None else frozenset(self.watch_if_types),
            admin_down=self.watch_admin_down)

    @pydantic.model_validator(mode="after")
    def _v3_needs_user(self) -> SnmpDeviceOptions:
        if self.version == "v3" and not self.user:
            raise ValueError("version v3 needs user: <one of the adapter's users>")
        return self
