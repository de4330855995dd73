"""Device classes for reporting: which of the six figures a bureau asks for a device counts in.

A device's class comes from its kind (``panic_button`` is a one-button alarm, ``camera`` is video
...), and config may override it per kind or per device. A kind no table names is ``other``: it
is in the inventory but in none of the six classes.
"""
from __future__ import annotations

from collections.abc import Mapping

#: The reporting classes, in the order reports list them, with their Chinese names.
DEVICE_CLASSES = {
    "panic": "一键报警",
    "video": "视频监控",
    "fire": "消防报警",
    "network": "网络设备",
    "power": "供电",
    "access": "门禁",
    "other": "其他",
}

#: kind -> class, for the kinds our adapters and simulators use.
DEFAULT_KIND_CLASSES = {
    "panic_button": "panic", "one_button_alarm": "panic", "alarm_panel": "panic",
    "camera": "video", "nvr": "video", "dvr": "video",
    "fire_panel": "fire", "fire_gateway": "fire",
    "switch": "network", "router": "network",
    "ups": "power", "pdu": "power",
    "access_controller": "access", "door": "access", "intrusion_panel": "access",
}


class DeviceClasses:
    """Which class a device is in: per-device override, else per-kind override, else the
    defaults, else ``other``."""

    def __init__(self, kinds: Mapping[str, str] | None = None, devices: Mapping[str, str] | None = None) -> None:
        self.kinds = {**DEFAULT_KIND_CLASSES, **(kinds or {})}
        self.devices = dict(devices or {})
        for name in (*self.kinds.values(), *self.devices.values()):
            if name not in DEVICE_CLASSES:
                raise ValueError(f"unknown device class {name!r}; expected one of {', '.join(DEVICE_CLASSES)}")

    def of(self, device_id: str, kind: str) -> str:
        return self.devices.get(device_id) or self.kinds.get(kind, "other")
