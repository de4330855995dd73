"""Capabilities: what an adapter can do for the rest of the hub beyond emitting events.

An adapter offers an action by implementing one of these protocols; the hub (``ListTerminals``
today, linkage rules and operator commands later) asks for a capability with ``isinstance`` and
never reaches into an adapter by duck typing. Each method names the device it acts on, since one
adapter instance serves many devices; it raises :class:`CapabilityError` when the device cannot
do it (not this adapter's, not connected, refused), with a reason an operator can read.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["CapabilityError", "PanelCommand", "PanelCommands", "PtzControl", "RelayOutput", "Snapshot",
           "SnapshotSource", "TerminalInventorySource", "TerminalRecord"]


class CapabilityError(Exception):
    """A device could not carry out a capability's action; ``str()`` says why."""


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One still image from a camera."""

    content_type: str  # "image/jpeg"
    data: bytes
    taken_at: float  # epoch seconds, the hub's clock


@runtime_checkable
class SnapshotSource(Protocol):
    """Cameras that can hand over a still image (ONVIF ``GetSnapshotUri`` and a GET of it)."""

    async def snapshot(self, device_id: str) -> Snapshot: ...


@runtime_checkable
class PtzControl(Protocol):
    """Cameras that move to a stored preset (ONVIF ``PTZ.GotoPreset``). Returns once the camera
    accepted the move, not when it arrived."""

    async def goto_preset(self, device_id: str, preset: str) -> None: ...


@runtime_checkable
class RelayOutput(Protocol):
    """Devices with switchable outputs: a strobe, a siren (ONVIF ``SetRelayOutputState``)."""

    async def set_relay(self, device_id: str, relay: str, active: bool) -> None: ...


@dataclasses.dataclass(frozen=True)
class PanelCommand:
    """A command a fire panel accepts (silence, reset, acknowledge), as its profile describes it."""

    name: str
    #: Whether a linkage rule may send it unattended (else only an operator may).
    safe_for_rules: bool = False


@runtime_checkable
class PanelCommands(Protocol):
    """Alarm panels that take commands (Modbus command registers from the panel's profile)."""

    def panel_commands(self, device_id: str) -> Sequence[PanelCommand]: ...

    async def run_panel_command(self, device_id: str, command: str) -> None: ...


class TerminalRecord(Protocol):
    """One row of a terminal MAC inventory (see :class:`TerminalInventorySource`)."""

    mac: str
    switch: str  # device id of the switch
    port: int  # ifIndex
    fdb_id: int | None
    first_seen: float
    last_seen: float


@runtime_checkable
class TerminalInventorySource(Protocol):
    """An adapter that learns which terminal MAC sits on which switch port implements
    ``terminals()``, and the hub serves it as ``ListTerminals``."""

    def terminals(self, switch: str | None = None) -> Sequence[TerminalRecord]: ...
