"""The ``console:`` section of ``hub.yaml``: the operator web console's listener, its operators
(argon2 password hashes, a role and a scope each) and its floor plans (see docs/integrator-guide.md).
:meth:`ConsoleConfig.to_settings` gives :class:`hub.console.ConsoleSettings`."""
from __future__ import annotations

import os
import pathlib
import re
import zoneinfo
from typing import Annotated, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from hub.config.section import Section

__all__ = ["ConsoleConfig", "FloorPlanConfig", "MarkerConfig", "OperatorConfig"]


def _duration(value):
    from hub.config.units import parse_duration
    return parse_duration(value)


def _host_port(value):
    from hub.config.units import parse_host_port
    return parse_host_port(value)


def _argon2_hash(value: SecretStr) -> SecretStr:
    # Never quote the value: it is a secret (or a password pasted by mistake).
    if not re.fullmatch(r"\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+",
                        value.get_secret_value()):
        raise ValueError("is not an argon2 hash; expected the output of `campus-hub hash-password` "
                         "($argon2id$v=19$m=...), through ${file:...} or ${ENV}")
    return value


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; expected an IANA name like 'Asia/Shanghai'") from None
    return value


def _image_file(value: pathlib.Path, info: pydantic.ValidationInfo) -> pathlib.Path:
    base = (info.context or {}).get("base_dir") or pathlib.Path.cwd()
    path = value if value.is_absolute() else pathlib.Path(base, value).resolve()
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ValueError(f"image {str(path)!r} is not a readable file; expected a PNG, JPEG or SVG floor plan")
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
        raise ValueError(f"image {str(path)!r} is not .png, .jpg or .svg")
    return path


Duration = Annotated[float, BeforeValidator(_duration)]
HostPort = Annotated[str, BeforeValidator(_host_port)]
Argon2Hash = Annotated[SecretStr, AfterValidator(_argon2_hash)]
OperatorId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]


def _scope_config():
    from hub.config.model import ScopeConfig  # (model.py imports this module after defining it)
    return ScopeConfig


class OperatorConfig(Section):
    """A person who logs in to the console."""

    id: OperatorId = Field(description="Login name (letters, digits, _ . @ -); recorded as the actor "
                           "operator:<id> of everything they do.")
    name: str = Field("", max_length=128, description="Shown in the console.")
    password_hash: Argon2Hash = Field(description="argon2 hash from `campus-hub hash-password`; use "
                                      "${file:...} or ${ENV}.")
    role: Literal["viewer", "operator", "supervisor"] = Field(
        "operator", description="viewer reads; operator also acknowledges, comments, assigns, shelves; "
        "supervisor also closes alarms.")
    scope: _scope_config() = Field(description="What the operator sees, as a subscriber's scope.")


class MarkerConfig(Section):
    """A device on a floor plan, in image pixels from the top-left corner."""

    device: str = Field(min_length=1, description="A device id from devices:.")
    x: float = Field(ge=0)
    y: float = Field(ge=0)


class FloorPlanConfig(Section):
    """One building's floor plan: an image and its device markers."""

    school_id: str = Field(min_length=1, description="A school_id from sites:.")
    building: str = Field(min_length=1, max_length=64, description="The building, as devices' site.building.")
    name: str = Field("", max_length=128, description="Shown above the plan.")
    image: Annotated[pathlib.Path, AfterValidator(_image_file)] = Field(
        description="PNG, JPEG or SVG file; relative to the config file.")
    width: int = Field(gt=0, le=20000, description="Image width in pixels.")
    height: int = Field(gt=0, le=20000, description="Image height in pixels.")
    markers: list[MarkerConfig] = Field(default_factory=list)


class ConsoleConfig(Section):
    """The operator web console (off unless this section is present)."""

    address: HostPort = Field("127.0.0.1:8080", description="host:port the console listens on (HTTP; put "
                              "a TLS proxy in front beyond loopback).")
    time_zone: Annotated[str, AfterValidator(_time_zone)] = Field(
        "Asia/Shanghai", description="Times are shown in this zone, with it.")
    language: Literal["zh-CN", "en"] = Field("zh-CN", description="Default language; operators switch.")
    session_lifetime: Duration = Field("12h", gt=0, description="A login lasts this long (a duty shift).")
    secure_cookies: bool = Field(False, strict=True, description="Mark cookies Secure (when served through "
                                 "HTTPS).")
    login_attempts: int = Field(5, ge=1, le=1000, description="Failed logins allowed per source address and "
                                "per login name within login_window; more are refused until it passes.")
    login_window: Duration = Field("5m", gt=0)
    max_body: int = Field(65536, ge=1024, le=64 << 20, description="Largest request body in bytes (413 "
                          "beyond).")
    operators: list[OperatorConfig] = Field(default_factory=list)
    floor_plans: list[FloorPlanConfig] = Field(default_factory=list)

    @pydantic.field_validator("operators")
    @classmethod
    def _unique_operators(cls, operators: list[OperatorConfig]) -> list[OperatorConfig]:
        seen: set[str] = set()
        for operator in operators:
            if operator.id in seen:
                raise ValueError(f"two operators are named {operator.id!r}; expected unique ids")
            seen.add(operator.id)
        return operators

    def to_settings(self, sites: dict[str, tuple[str, str]]):
        """:class:`hub.console.ConsoleSettings`; ``sites``: school id -> (region code, name)."""
        from hub.access import Scope
        from hub.console import ConsoleSettings, FloorPlan, Marker, Operator
        from hub.events import parse_category

        return ConsoleSettings(
            address=self.address, time_zone=self.time_zone, language=self.language,
            session_lifetime=self.session_lifetime, secure_cookies=self.secure_cookies,
            login_attempts=self.login_attempts, login_window=self.login_window, max_body=self.max_body,
            sites=sites,
            operators=[Operator(o.id, o.name or o.id, o.password_hash.get_secret_value(), o.role, Scope(
                region_prefixes=tuple(o.scope.region_prefixes), school_ids=frozenset(o.scope.school_ids),
                categories=frozenset(parse_category(c) for c in o.scope.categories),
                all_regions=o.scope.all_regions)) for o in self.operators],
            floor_plans=[FloorPlan(p.school_id, p.building, p.name or p.building, str(p.image), p.width, p.height,
                                   tuple(Marker(m.device, m.x, m.y) for m in p.markers))
                         for p in self.floor_plans])
