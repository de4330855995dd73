"""How a hub builds its linkage: the media store beside the journal, the engine reaching devices
through their running adapters' capabilities, and the service feeding it from the journal."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from hub.linkage._actions import DeviceActions
from hub.linkage._engine import LinkageEngine, LinkageService
from hub.linkage._media import MediaStore
from hub.linkage._model import Coverage, Rule
from hub.spi import CapabilityError

__all__ = ["build_linkage", "media_store_for"]


def media_store_for(settings) -> MediaStore:
    root = settings.media_path or os.path.join(os.path.dirname(os.path.abspath(settings.journal_path)), "media")
    return MediaStore(root, max_age=settings.media_max_age, max_bytes=settings.media_max_bytes,
                      max_item_bytes=settings.media_max_item_bytes)


def build_linkage(hub, rules: Sequence[Rule], coverage: Coverage, media: MediaStore) -> LinkageService:
    def capability(device_id: str, wanted: type):
        entry = hub.registry.get(device_id)
        if entry is None:
            raise CapabilityError(f"no device {device_id!r} is configured")
        try:
            adapter = hub.adapter(entry.spec.adapter)
        except KeyError:
            raise CapabilityError(f"{device_id}'s adapter {entry.spec.adapter!r} is not configured") from None
        if adapter is None:
            raise CapabilityError(f"{device_id}'s adapter {entry.spec.adapter!r} is not running (restarting)")
        if not isinstance(adapter, wanted):
            raise CapabilityError(f"{device_id}'s adapter ({entry.spec.adapter}) offers no {wanted.__name__}")
        return adapter

    async def run_blocking(fn, *args):
        return await asyncio.get_running_loop().run_in_executor(hub.blocking_pool, fn, *args)

    def site_of(device_id: str) -> dict:
        entry = hub.registry.get(device_id)
        if entry is None:
            return {}
        site = entry.spec.site
        return {"region_code": site.region_code, "school_id": site.school_id, "building": site.building,
                "floor": site.floor, "zone": site.zone}

    def panel_site(device_id: str) -> tuple[str, str] | None:
        entry = hub.registry.get(device_id)
        return None if entry is None else (entry.spec.site.region_code, entry.spec.site.school_id)

    engine = LinkageEngine(rules, coverage, DeviceActions(capability, media, run_blocking, site_of), hub.pipeline.submit,
                           audit=hub.alarms.record, panel_site=panel_site)
    return LinkageService(hub.journal, engine, media=media, run_blocking=run_blocking)
