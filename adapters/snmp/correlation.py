"""Upstream correlation (sans-IO): devices behind a switch port go offline when it goes down."""
from __future__ import annotations

from collections.abc import Iterable

from hub.spi import DeviceSpec

UPSTREAM_DOWN = "upstream port down"
UPSTREAM_UP = "upstream port up"


class UpstreamMap:
    """Which devices hang off which (switch device id, ifIndex); remembers whom it took offline,
    so a port coming back only brings back the devices its going down took away."""

    def __init__(self, devices: Iterable[DeviceSpec]) -> None:
        self.behind: dict[tuple[str, int], list[str]] = {}
        for device in devices:
            if device.upstream is not None:
                self.behind.setdefault((device.upstream.device_id, device.upstream.port), []).append(device.id)
        self._taken_offline: set[str] = set()

    def port_changed(self, switch: str, port: int, up: bool) -> list[tuple[str, bool]]:
        """(device id, online?) actions for a port change."""
        actions = []
        for device_id in self.behind.get((switch, port), []):
            if not up:
                self._taken_offline.add(device_id)
                actions.append((device_id, False))
            elif device_id in self._taken_offline:
                self._taken_offline.discard(device_id)
                actions.append((device_id, True))
        return actions
