"""The ONVIF camera adapter: health, device facts and PullPoint events of every configured camera.

Each camera runs in its own :class:`~adapters.onvif.worker.CameraWorker` task, so one bad camera
never affects another. See docs/adapters/onvif.md for the options.
"""
from __future__ import annotations

import asyncio

from adapters.onvif.errors import CameraError, FailureKind
from adapters.onvif.options import CameraOptions, OnvifOptions
from adapters.onvif.setup_slots import SetupSlots
from adapters.onvif.shared_clients import SharedClients
from adapters.onvif.worker import CameraWorker
from hub.spi import Adapter, PtzControl, RelayOutput, Snapshot, SnapshotSource

__all__ = ["OnvifAdapter"]


#: A snapshot larger than this is refused by the camera side already (the media store has its own cap).
SNAPSHOT_MAX_BYTES = 8 * 1024 * 1024


class OnvifAdapter(Adapter, PtzControl, RelayOutput, SnapshotSource):
    """Cameras over ONVIF; offers PTZ presets, relay outputs and snapshots to the hub (hub.spi
    capabilities, used by linkage rules)."""

    Options = OnvifOptions
    DeviceOptions = CameraOptions

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._workers: dict[str, CameraWorker] = {}

    async def run(self) -> None:
        from twisted.internet import reactor

        slots = SetupSlots(self.ctx, self.options.max_setups)
        clients = SharedClients.create(reactor, self.options)
        self._workers = {d.id: CameraWorker(self.ctx, self.options, d, clients, slots) for d in self.ctx.devices}
        self.ctx.log.info("onvif.starting", cameras=len(self._workers))
        try:
            await asyncio.gather(*(worker.run() for worker in self._workers.values()))
        finally:
            try:
                await clients.close()
            except TimeoutError:
                self.ctx.log.warning("onvif.close_timeout")

    def _worker(self, device_id: str) -> CameraWorker:
        worker = self._workers.get(device_id)
        if worker is None:
            raise CameraError(FailureKind.UNREACHABLE, f"no ONVIF camera {device_id!r} in this adapter")
        return worker

    async def set_relay(self, device_id: str, relay: str, active: bool) -> None:
        """Switch a relay output (ONVIF SetRelayOutputState). Raises CameraError (a CapabilityError)."""
        await self._worker(device_id).set_relay(relay, active)

    async def snapshot(self, device_id: str) -> Snapshot:
        """A JPEG from the camera's snapshot URI, with its HTTP auth. Raises CameraError (a
        CapabilityError) for an answer that is not a JPEG, too large, or too late."""
        import time

        content_type, data = await self._worker(device_id).snapshot(SNAPSHOT_MAX_BYTES, self.options.request_timeout)
        return Snapshot(content_type=content_type, data=data, taken_at=time.time())

    async def goto_preset(self, device_id: str, preset: str) -> None:
        """Turn a PTZ camera to a preset (alarm linkage). Raises CameraError (a CapabilityError) if it
        cannot."""
        worker = self._workers.get(device_id)
        if worker is None:
            raise CameraError(FailureKind.UNREACHABLE, f"no ONVIF camera {device_id!r} in this adapter")
        await worker.goto_preset(preset)
