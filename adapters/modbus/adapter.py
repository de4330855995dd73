"""The Modbus fire-panel adapter: poll panels per their device profile and report changes.

Devices that share ``host``, ``port`` and ``framer`` (panels behind one converter) share one
connection (:class:`adapters.modbus.link.Link`); each link runs on its own, so a dead converter
only takes its own panels offline.

The adapter offers the hub ``PanelCommands``: the commands of a panel's profile (``commands:``,
writes to command registers), sent over the panel's link between two polls.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from adapters.modbus.link import Link, LinkSettings, Panel
from adapters.modbus.profile import ProfileError, ProfileName, UnknownProfile, resolve_profile
from hub.spi import Adapter, CapabilityError, LateDevices, PanelCommand, PanelCommands

__all__ = ["ModbusAdapter"]


class ModbusOptions(BaseModel):
    """``adapters[].options`` for ``type: modbus``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(2.0, gt=0, le=60, description="Seconds to wait to connect and for each answer.")
    reconnect_min: float = Field(1.0, gt=0, le=3600, description="First delay before reconnecting, seconds.")
    reconnect_max: float = Field(60.0, gt=0, le=3600, description="Longest delay between reconnects (doubling).")
    drop_after_timeouts: int = Field(
        3, ge=1, le=1000, description="Reconnect once every panel on a connection has this many unanswered "
        "requests in a row (a converter that accepts TCP but answers nothing).")

    @pydantic.model_validator(mode="after")
    def _order(self) -> ModbusOptions:
        if self.reconnect_max < self.reconnect_min:
            raise ValueError(f"reconnect_max ({self.reconnect_max}) must be >= reconnect_min ({self.reconnect_min})")
        return self


class ModbusDeviceOptions(BaseModel):
    """``devices[].options`` for a fire panel on a ``type: modbus`` adapter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(description="IP address or host name of the panel or its Modbus TCP converter.")
    port: int = Field(502, ge=1, le=65535, description="TCP port (Modbus TCP default 502).")
    framer: Literal["tcp", "rtu-over-tcp"] = Field(
        "tcp", description="tcp: Modbus TCP (MBAP header); rtu-over-tcp: RTU frames with CRC over TCP, as "
        "transparent serial converters send them.")
    unit_id: int = Field(
        1, ge=0, le=255, description="Modbus unit (slave) id of the panel on that connection: 1-247 behind a "
        "converter; devices with their own TCP interface often use 0 or 255.")
    profile: ProfileName = Field(
        "generic", description="Device profile: a name from config/profiles (generic, notifier-gw, siemens-fc20) "
        "or a path to a profile YAML file.")
    poll_interval: float | None = Field(
        None, gt=0, le=7200, description="Poll every block at this interval (seconds) instead of the profile's.")


class ModbusAdapter(Adapter, PanelCommands):
    """Polls Modbus fire panels (TCP or RTU over TCP) and emits raised/cleared events; sends the
    commands their profiles describe."""

    Options = ModbusOptions
    DeviceOptions = ModbusDeviceOptions

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._panels: dict[str, tuple[Link, Panel]] = {}

    def panel_commands(self, device_id: str) -> Sequence[PanelCommand]:
        _link, panel = self._panel(device_id)
        return [PanelCommand(c.name, c.safe_for_rules) for c in panel.profile.commands]

    async def run_panel_command(self, device_id: str, command: str) -> None:
        link, panel = self._panel(device_id)
        spec = panel.profile.command(command)
        if spec is None:
            raise CapabilityError(f"profile {panel.profile.profile!r} of {device_id} has no command {command!r}")
        await link.send_command(panel, spec)

    def _panel(self, device_id: str) -> tuple[Link, Panel]:
        try:
            return self._panels[device_id]
        except KeyError:
            raise CapabilityError(f"{device_id} is not a panel this adapter polls (a profile that does not load, "
                                  "or the adapter is starting)") from None

    async def run(self) -> None:
        options: ModbusOptions = self.options
        settings = LinkSettings(options.timeout, options.reconnect_min, options.reconnect_max,
                                options.drop_after_timeouts)
        groups: dict[tuple[str, int, str], list[Panel]] = {}
        for device in self.ctx.devices:
            opts: ModbusDeviceOptions = device.options
            try:
                profile = await self.ctx.run_blocking(resolve_profile, opts.profile)
            except (ProfileError, UnknownProfile) as exc:
                self.ctx.metrics.count("bad_profiles")
                self.ctx.log.error("modbus.bad_profile", device=device.id, error=str(exc))
                self.ctx.device_faulty(device.id, str(exc))
                continue
            groups.setdefault((opts.host, opts.port, opts.framer), []).append(
                Panel.build(device.id, opts.unit_id, profile, opts.poll_interval))
            self.ctx.set_device_facts(device.id, {
                "profile": profile.profile, "vendor": profile.vendor, "endpoint": f"{opts.host}:{opts.port}",
                "framer": opts.framer, "unit_id": str(opts.unit_id),
            })
        # A panel polled late waits for its link's other panels, each for up to ``timeout``.
        late = LateDevices(self.ctx, "timeout")
        links = [Link(self.ctx, host, port, framer, panels, settings, late=late)
                 for (host, port, framer), panels in groups.items()]
        self._panels = {panel.device_id: (link, panel) for link in links for panel in link.panels}
        self.ctx.log.info("modbus.start", links=len(links), panels=sum(len(l.panels) for l in links))
        tasks = [asyncio.ensure_future(link.run()) for link in links]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

