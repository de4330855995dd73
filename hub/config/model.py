"""The schema of ``hub.yaml``: one pydantic model per section, every field described.

Field-level rules live here. Rules that relate entries to each other (unique ids, a device's
school must be under ``sites``, adapter options checked by the adapter's own models) live in
:mod:`hub.config.references` so that they are reported even when other parts of the file are
wrong. Load a file with :func:`hub.config.load`, not with these models directly.
"""
from __future__ import annotations

import os
import pathlib
import re
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from hub.config.alarm_classes import AlarmsConfig
from hub.config.hub_identity import validate_hub_id
from hub.config.linkage import LinkageConfig
from hub.config.ledger import LedgerConfig
from hub.config.reports import ReportsConfig
from hub.config.section import Section, one_of
from hub.config.uplinks import UplinkConfig, unique_uplink_names
from hub.regions import validate_region_code, validate_region_prefix
from hub.config.units import parse_duration, parse_host_port, parse_size, split_host_port
from hub.events import CATEGORY_CHOICES, Site
from hub.spi import DeviceSpec, Upstream

__all__ = [
    "AdapterConfig", "DeviceConfig", "DeviceSiteConfig", "GrpcListenerConfig", "HubConfig",
    "HubSection", "JournalConfig", "ListenersConfig", "LoggingConfig", "MetricsListenerConfig",
    "PipelineConfig", "ScopeConfig", "SiteConfig", "SubscriberConfig", "TlsConfig", "UpstreamConfig",
]


_Section = Section


def _identifier(value: str) -> str:
    if not value or value != value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"{value!r} is not a usable id; expected non-empty text without spaces")
    return value


def _resolve_path(value: pathlib.Path, info: pydantic.ValidationInfo) -> pathlib.Path:
    """Relative paths are relative to the config file's directory."""
    base = (info.context or {}).get("base_dir") or pathlib.Path.cwd()
    try:
        value = value.expanduser()
    except RuntimeError:  # ~nosuchuser
        raise ValueError(f"cannot expand {str(value)!r}: no such user; expected a path without ~user") from None
    return value if value.is_absolute() else pathlib.Path(base, value).resolve()


def _existing_file(value: pathlib.Path) -> pathlib.Path:
    if not value.exists():
        raise ValueError(f"file {str(value)!r} does not exist; expected a readable PEM file")
    if not value.is_file() or not os.access(value, os.R_OK):
        raise ValueError(f"{str(value)!r} is not a readable file; expected a readable PEM file")
    return value


def _instance_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_-]{1,64}", value):
        raise ValueError(f"{value!r} is not a valid adapter name; expected 1-64 lowercase letters, digits, "
                         "'_' or '-', e.g. sia-main")
    return value


def _mapping(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("is not a mapping; expected key: value pairs (or {} for none)")
    return value


_category = one_of("category", CATEGORY_CHOICES)


_SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")


def _token_hash(value: SecretStr) -> SecretStr:
    # Never quote the value: it is a secret (or, worse, a raw token pasted by mistake).
    text = value.get_secret_value()
    if not _SHA256_HEX.match(text):
        detail = "uppercase hex digits" if _SHA256_HEX.match(text.lower()) else f"{len(text)} characters"
        raise ValueError(
            f"is not a sha256 hex digest (the value has {detail}); expected 64 lowercase hex digits: "
            "the sha256 of the bearer token as printed by `campus-hub hash-token`, never the token itself")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
HostPort = Annotated[str, BeforeValidator(parse_host_port)]
RegionCode = Annotated[str, AfterValidator(validate_region_code)]
RegionPrefix = Annotated[str, AfterValidator(validate_region_prefix)]
CategoryName = Annotated[str, AfterValidator(_category)]
ConfigPath = Annotated[pathlib.Path, AfterValidator(_resolve_path)]
ExistingFile = Annotated[pathlib.Path, AfterValidator(_resolve_path), AfterValidator(_existing_file)]
OptionsMapping = Annotated[Any, BeforeValidator(_mapping)]
TokenSha256 = Annotated[SecretStr, AfterValidator(_token_hash)]
HubId = Annotated[str, AfterValidator(validate_hub_id)]


class HubSection(_Section):
    """Who this hub is."""

    id: HubId = Field(description="Unique id of this hub in the deployment, e.g. yanhu-county: federation "
                      "stamps it as the origin of every event this hub journals, and GetHubInfo and the "
                      "logs show it. 1-64 lowercase letters, digits, '-' or '.'.")
    name: str = Field("", description="Human-readable name, e.g. the county or campus it serves.")


class JournalConfig(_Section):
    """The embedded SQLite journal every event is written to before anyone sees it."""

    path: ConfigPath = Field("./data/journal.db", description="SQLite database file; a relative path is "
                             "relative to the directory of the config file.")
    durability: Literal["full", "normal", "off"] = Field(
        "normal", description="full: fsync every commit (survives power loss); normal: survives a "
        "crash of the hub process but not power loss; off: neither (benchmarks only).")
    max_age: Duration = Field("30d", gt=0, description="Retention: events older than this are deleted.")
    max_bytes: Size = Field("2GiB", gt=0, description="Retention: oldest events are deleted to keep the "
                            "journal under this size.")
    max_events_per_commit: int = Field(5000, ge=1, le=100_000, description="Group commit: at most this "
                                       "many events per SQLite transaction.")
    tail_cache_events: int = Field(200_000, ge=0, le=5_000_000, description="Most recent events kept in "
                                   "memory so subscribers near the head do not read the database "
                                   "(0 disables the cache).")


class TlsConfig(_Section):
    """Server certificate for the gRPC listener."""

    cert_file: ExistingFile = Field(description="PEM certificate chain of the server (relative to the "
                                    "config file's directory).")
    key_file: ExistingFile = Field(description="PEM private key of that certificate.")


class _Endpoint(_Section):
    """A listener; subclasses define ``address``."""

    address: str

    @property
    def host(self) -> str:
        return split_host_port(self.address)[0]

    @property
    def port(self) -> int:
        return split_host_port(self.address)[1]


class GrpcListenerConfig(_Endpoint):
    """The gRPC endpoint platforms subscribe to."""

    address: HostPort = Field("127.0.0.1:50051", description="host:port to listen on; [::1]:50051 for "
                              "IPv6; port 0 picks a free port.")
    tls: TlsConfig | None = Field(None, description="Serve TLS with this certificate; null serves "
                                  "plaintext (loopback or a trusted network only).")
    max_subscribers: int = Field(256, ge=1, le=100_000, description="Concurrent Subscribe streams "
                                 "accepted; more are refused with RESOURCE_EXHAUSTED.")


class MetricsListenerConfig(_Endpoint):
    """Prometheus scrape endpoint."""

    address: HostPort = Field("127.0.0.1:9464", description="host:port serving /metrics.")


class ListenersConfig(_Section):
    """Network endpoints of the hub."""

    grpc: GrpcListenerConfig = Field(default_factory=GrpcListenerConfig,
                                     description="The subscription API.")
    metrics: MetricsListenerConfig | None = Field(None, description="Prometheus metrics over HTTP; null "
                                                  "disables, {} serves on the default address.")


class PipelineConfig(_Section):
    """Processing between adapters and the journal."""

    dedupe_window: Duration = Field("10s", description="Consecutive identical events of one device (same "
                                    "type, state, place and attributes) inside this window are folded into a count; "
                                    "0 disables dedupe.")


class LoggingConfig(_Section):
    """Hub logs (structlog)."""

    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Least severe level "
                                                                "written.")
    format: Literal["auto", "json", "console"] = Field("auto", description="auto: console on a terminal, "
                                                       "JSON lines otherwise.")


class SiteConfig(_Section):
    """A school and the administrative region it belongs to."""

    school_id: Identifier = Field(description="Unique id of the school; devices and subscribers refer "
                                  "to it.")
    region_code: RegionCode = Field(description="GB/T 2260 six-digit code of the school's county, "
                                    "e.g. 140802.")
    name: str = Field("", description="School name, for people.")


class AdapterConfig(_Section):
    """One running instance of an adapter plugin."""

    name: Annotated[str, AfterValidator(_instance_name)] = Field(
        description="Unique instance name (lowercase letters, digits, _ and -); devices refer to it.")
    type: Annotated[str, Field(min_length=1)] = Field(
        description="Adapter type: an entry point name in group campushub.adapters (sia, modbus, onvif, "
        "snmp, synthetic ...).")
    options: OptionsMapping = Field(default_factory=dict, repr=False, description="Options of this "
                                    "instance, checked by the adapter type's Options model; after "
                                    "loading, an instance of that model.")


class DeviceSiteConfig(_Section):
    """Where a device is."""

    school_id: Identifier = Field(description="A school_id from sites:; the device's region code is "
                                  "that school's.")
    building: str = Field("", description="Building name or number.")
    floor: str = Field("", description="Floor, as people say it (\"1\", \"B1\").")
    zone: str = Field("", description="Zone or room (gate, gym, server room ...).")


class UpstreamConfig(_Section):
    """The switch port a device hangs off, so a port going down explains the device going offline."""

    device: Identifier = Field(description="id of the switch, another entry under devices:.")
    port: int = Field(ge=1, description="Port number on that switch (1-based, as printed on it).")


class DeviceConfig(_Section):
    """One device the hub talks to."""

    id: Identifier = Field(description="Unique device id; appears in every event from the device.")
    name: str = Field("", description="Human-readable name.")
    kind: Annotated[str, Field(min_length=1)] = Field(
        description="What it is: fire_panel, camera, switch, ups, alarm_panel, panic_button ...")
    adapter: str = Field(description="name of the adapters: entry that talks to this device.")
    site: DeviceSiteConfig = Field(description="Where the device is.")
    options: OptionsMapping = Field(default_factory=dict, repr=False, description="Per-device options, "
                                    "checked by the adapter type's DeviceOptions model; after loading, "
                                    "an instance of that model.")
    upstream: UpstreamConfig | None = Field(None, description="Switch port the device hangs off.")


class ScopeConfig(_Section):
    """What a subscriber may see; a client's own filter can only narrow it."""

    region_prefixes: list[RegionPrefix] = Field(default_factory=list, description="Region-code prefixes: "
                                                "\"14\" a province, \"1408\" a city, \"140802\" a county.")
    school_ids: list[Identifier] = Field(default_factory=list, description="Individual schools (from "
                                         "sites:).")
    categories: list[CategoryName] = Field(default_factory=list, description="Event categories allowed; "
                                           "empty allows all: " + ", ".join(CATEGORY_CHOICES) + ".")
    all_regions: bool = Field(False, strict=True, description="Must be true, explicitly, for a scope that sees every "
                              "region (then leave region_prefixes and school_ids empty).")


class SubscriberConfig(_Section):
    """A platform allowed to subscribe."""

    id: Identifier = Field(description="Unique identity of the subscriber (shown in logs and metrics).")
    token_sha256: TokenSha256 = Field(description="sha256 (64 lowercase hex digits) of the bearer token "
                                      "the subscriber presents; `campus-hub hash-token` makes a pair. "
                                      "Use ${ENV} or ${file:...}.")
    scope: ScopeConfig = Field(description="What this subscriber may see.")
    role: Literal["viewer", "operator", "supervisor", "platform"] = Field(
        "viewer", description="What it may do to alarms: viewer reads; operator also acknowledges, comments, "
        "assigns, shelves, escalates; supervisor also sets out of service and closes; platform (a machine "
        "subscriber) reads and comments.")


# (after ScopeConfig, which an operator's scope reuses)
from hub.config.console import ConsoleConfig  # noqa: E402


class HubConfig(_Section):
    """A whole ``hub.yaml``. Durations are float seconds and sizes int bytes once loaded."""

    hub: HubSection = Field(description="Identity of this hub (its id is required).")
    journal: JournalConfig = Field(default_factory=JournalConfig, description="Event storage.")
    listeners: ListenersConfig = Field(default_factory=ListenersConfig, description="Network endpoints.")
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig, description="Event processing.")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description="Hub logs.")
    sites: list[SiteConfig] = Field(default_factory=list, description="Schools served by this hub.")
    adapters: list[AdapterConfig] = Field(default_factory=list, description="Adapter instances.")
    devices: list[DeviceConfig] = Field(default_factory=list, description="Devices, each handled by one "
                                        "adapter instance.")
    subscribers: list[SubscriberConfig] = Field(default_factory=list, description="Platforms allowed to "
                                                "subscribe.")
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="Which events are alarms.")
    linkage: LinkageConfig = Field(default_factory=LinkageConfig, description="Camera coverage, the media store "
                                   "and linkage rules.")
    reports: ReportsConfig = Field(default_factory=ReportsConfig, description="联网率 / 在线率 reports and test "
                                   "compliance.")
    ledger: LedgerConfig = Field(default_factory=LedgerConfig, description="The hazard ledger (隐患台账).")
    uplinks: Annotated[list[UplinkConfig], AfterValidator(unique_uplink_names)] = Field(
        default_factory=list, description="Links to the hubs above and below (federation); none: a standalone hub.")
    console: ConsoleConfig | None = Field(None, description="The operator web console; off when absent.")

    @pydantic.model_validator(mode="before")
    @classmethod
    def _empty_sections_mean_defaults(cls, data: Any) -> Any:
        # "devices:" with nothing under it (yet) is an empty section, not a type error. Absent
        # sections are validated from {} (not built by default factories) so that relative paths
        # in their defaults resolve against the config file's directory too.
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if value is not None}
            for section in ("hub", "journal", "listeners", "pipeline", "logging", "alarms", "linkage", "reports",
                            "ledger"):
                data.setdefault(section, {})
        return data

    def site(self, school_id: str) -> SiteConfig:
        """The site of ``school_id`` (KeyError if there is none)."""
        for site in self.sites:
            if site.school_id == school_id:
                return site
        raise KeyError(school_id)

    def adapter(self, name: str) -> AdapterConfig:
        """The adapter instance called ``name`` (KeyError if there is none)."""
        for adapter in self.adapters:
            if adapter.name == name:
                return adapter
        raise KeyError(name)

    def adapter_options(self, name: str) -> pydantic.BaseModel:
        """Validated options of adapter instance ``name``: an instance of its type's Options."""
        return self.adapter(name).options

    def devices_of(self, adapter_name: str) -> list[DeviceConfig]:
        """Devices handled by adapter instance ``adapter_name``, in config order."""
        return [device for device in self.devices if device.adapter == adapter_name]

    def device_specs(self, adapter_name: str | None = None) -> list[DeviceSpec]:
        """Devices as :class:`hub.spi.DeviceSpec` (all, or those of one adapter instance), with a
        campushub ``Site`` whose region_code is the school's."""
        regions = {site.school_id: site.region_code for site in self.sites}
        chosen = self.devices if adapter_name is None else self.devices_of(adapter_name)
        return [
            DeviceSpec(
                id=device.id,
                kind=device.kind,
                adapter=device.adapter,
                name=device.name,
                site=Site(region_code=regions.get(device.site.school_id, ""), school_id=device.site.school_id,
                          building=device.site.building, floor=device.site.floor, zone=device.site.zone),
                options=device.options,
                upstream=Upstream(device.upstream.device, device.upstream.port) if device.upstream else None,
            )
            for device in chosen
        ]

    def summary(self) -> str:
        """``2 sites, 3 adapters, 41 devices, 2 subscribers``."""
        def count(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"
        return ", ".join([count(len(self.sites), "site"), count(len(self.adapters), "adapter"),
                          count(len(self.devices), "device"), count(len(self.subscribers), "subscriber")])
