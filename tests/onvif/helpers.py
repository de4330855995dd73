"""Helpers for the ONVIF suite: devices for simulated cameras and an adapter watching them."""
from __future__ import annotations

import asyncio
import contextlib

from adapters.onvif.adapter import OnvifAdapter
from adapters.onvif.options import CameraOptions, OnvifOptions
from hub.events import Site
from hub.spi import DeviceSpec
from hub.spi.testing import RecordingContext

#: Short everything so the suite stays fast; never asserted as timing.
FAST = dict(pull_timeout=0.3, pull_grace=0.5, subscription_lifetime=3.0, renew_before=1.5, request_timeout=1.0,
            offline_after_failures=2, retry_initial=0.05, retry_max=0.2, health_interval=0.3)


def camera_spec(running, *, device_id: str | None = None, password: str = "admin", **options) -> DeviceSpec:
    return DeviceSpec(
        id=device_id or running.name, kind="camera", adapter="onvif-test",
        site=Site(region_code="140802", school_id="sch-1"),
        options=CameraOptions(host=running.host, port=running.http_port, password=password, **options),
    )


@contextlib.asynccontextmanager
async def watching(specs, **overrides):
    """An OnvifAdapter running on a RecordingContext until the block ends."""
    ctx = RecordingContext("onvif-test", specs)
    adapter = OnvifAdapter(ctx, OnvifOptions(**{**FAST, **overrides}))
    task = asyncio.ensure_future(adapter.run())
    try:
        yield ctx, adapter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        ctx.close()
