"""Carrying out one action on one target through the adapters' SPI capabilities.

:class:`DeviceActions` is what the engine calls in a running hub; :class:`DryRunActions` (for
``campus-hub rules test``) says what would be done and touches no device. Each returns an
:class:`Outcome`; a device that cannot do it raises ``CapabilityError`` (the engine journals it as
failed, with the reason).
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from hub.linkage._media import MediaRejected, MediaStore
from hub.spi import CapabilityError, PanelCommands, PtzControl, RelayOutput, SnapshotSource

__all__ = ["DeviceActions", "DryRunActions", "Outcome", "CapabilityLookup"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    detail: dict[str, str] = dataclasses.field(default_factory=dict)
    media: tuple[tuple[str, str, str], ...] = ()


class CapabilityLookup(Protocol):
    def __call__(self, device_id: str, capability: type) -> Any:
        """The running adapter of ``device_id`` if it offers ``capability``; raises CapabilityError."""


class DeviceActions:
    def __init__(self, lookup: CapabilityLookup, media: MediaStore | None,
                 run_blocking: Callable[..., Awaitable[Any]], site_of: Callable[[str], dict]) -> None:
        self.lookup, self.media, self.run_blocking, self.site_of = lookup, media, run_blocking, site_of
        self._http = None

    async def snapshot(self, camera: str) -> Outcome:
        source = self.lookup(camera, SnapshotSource)
        picture = await source.snapshot(camera)
        if self.media is None:
            raise CapabilityError("no media store configured")
        try:
            item = await self.run_blocking(lambda: self.media.put(
                picture.data, device_id=camera, taken_at=picture.taken_at, site=self.site_of(camera),
                claimed_type=picture.content_type))
        except MediaRejected as exc:
            raise CapabilityError(f"snapshot not kept: {exc}") from None
        return Outcome({"sha256": item.sha256, "bytes": str(item.size)}, ((("snapshot", item.uri, item.mime_type)),))

    async def goto_preset(self, camera: str, preset: str) -> Outcome:
        await self.lookup(camera, PtzControl).goto_preset(camera, preset)
        return Outcome({"preset": preset})

    async def set_relay(self, device: str, relay: str, active: bool) -> Outcome:
        await self.lookup(device, RelayOutput).set_relay(device, relay, active)
        return Outcome({"relay": relay, "active": "true" if active else "false"})

    async def panel(self, device: str, command: str, from_rule: bool) -> Outcome:
        panel = self.lookup(device, PanelCommands)
        known = {c.name: c for c in panel.panel_commands(device)}
        if command not in known:
            raise CapabilityError(f"the panel's profile has no command {command!r} (it has: "
                                  f"{', '.join(known) or 'none'})")
        if from_rule and not known[command].safe_for_rules:
            raise CapabilityError(f"the panel's profile does not mark {command!r} safe for rules; only an operator may")
        await panel.run_panel_command(device, command)
        return Outcome({"command": command})

    async def notify(self, url: str, body: dict, key: str, headers: dict[str, str], timeout: float) -> Outcome:
        import treq

        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):  # (not wait_for: it can swallow a stop, gh-86296)
            response = await treq.post(
                url, data=json.dumps(body).encode(), timeout=timeout, persistent=False,
                headers={"Content-Type": ["application/json"], "Idempotency-Key": [key],
                         **{name: [value] for name, value in headers.items()}}).asFuture(loop)
        code = response.code
        await treq.content(response).asFuture(loop)  # read it all, so the connection is let go
        if not 200 <= code < 300:
            raise CapabilityError(f"HTTP {code}")
        return Outcome({"status": str(code)})


class DryRunActions:
    """Says what each action would do; nothing is sent anywhere."""

    async def snapshot(self, camera: str) -> Outcome:
        return Outcome({"would": f"take a snapshot from {camera}"})

    async def goto_preset(self, camera: str, preset: str) -> Outcome:
        return Outcome({"would": f"turn {camera} to preset {preset}"})

    async def set_relay(self, device: str, relay: str, active: bool) -> Outcome:
        return Outcome({"would": f"switch {device} {relay} {'on' if active else 'off'}"})

    async def panel(self, device: str, command: str, from_rule: bool) -> Outcome:
        return Outcome({"would": f"send {command} to {device}"})

    async def notify(self, url: str, body: dict, key: str, headers: dict[str, str], timeout: float) -> Outcome:
        return Outcome({"would": f"POST to {url} (key {key})"})


def now() -> float:
    return time.time()
