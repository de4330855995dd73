"""Parsing the human-friendly values of a config file: durations, sizes and host:port addresses.

Each parser takes what YAML produced and returns the value the hub uses (float seconds, int bytes,
normalized ``host:port``), or raises ValueError worded as ``what is wrong; expected what is right``.
"""
from __future__ import annotations

import ipaddress
import math
import re

__all__ = ["parse_duration", "parse_size", "parse_host_port", "split_host_port"]

DURATION_EXPECTED = 'a duration like "500ms", "10s", "5m", "12h", "30d" or "1h30m" (a bare number is seconds)'
SIZE_EXPECTED = 'a size like "512MiB", "2GiB", "500MB" or a number of bytes'
HOST_PORT_EXPECTED = 'host:port like "127.0.0.1:50051", "0.0.0.0:50051", "[::1]:50051" or "localhost:0" (0 = any free port)'

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*\Z", re.IGNORECASE)
_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?\Z")


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def parse_duration(value: object) -> float:
    """``"1h30m"`` -> 5400.0; a bare number (or numeric string) is seconds."""
    seconds = _number(value)
    if seconds is None and isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            position, total = 0, 0.0
            for match in _DURATION_PART.finditer(text):
                if match.start() != position:
                    break
                total += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
                position = match.end()
            if text and position == len(text):
                seconds = total
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration; expected {DURATION_EXPECTED}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be zero or more; expected {DURATION_EXPECTED}")
    return seconds


def parse_size(value: object) -> int:
    """``"2GiB"`` -> 2147483648. KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024."""
    amount = _number(value)
    multiplier = 1
    if amount is None and isinstance(value, str):
        match = _SIZE.match(value)
        if match and match.group(2).lower() in _SIZE_UNITS:
            amount, multiplier = float(match.group(1)), _SIZE_UNITS[match.group(2).lower()]
    if amount is None:
        raise ValueError(f"{value!r} is not a size; expected {SIZE_EXPECTED}")
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"size must be zero or more; expected {SIZE_EXPECTED}")
    return int(amount * multiplier)


def split_host_port(address: str) -> tuple[str, int]:
    """``"[::1]:50051"`` -> ``("::1", 50051)``; raises ValueError if malformed."""
    text = address.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ValueError(f"{address!r} is not host:port; expected {HOST_PORT_EXPECTED}")
        port_text = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} in brackets is not an IPv6 address; expected {HOST_PORT_EXPECTED}") from None
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon or not host:
            raise ValueError(f"{address!r} has no host:port; expected {HOST_PORT_EXPECTED}")
        if ":" in host:
            raise ValueError(f"IPv6 address {host!r} needs brackets; expected [{host}]:{port_text}")
        if not _HOSTNAME.match(host):
            raise ValueError(f"{host!r} is not a hostname or IPv4 address; expected {HOST_PORT_EXPECTED}")
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise ValueError(f"port {port_text!r} is not a number from 0 to 65535; expected {HOST_PORT_EXPECTED}")
    return host, int(port_text)


def parse_host_port(value: object) -> str:
    """Validate ``host:port`` and return it normalized (IPv6 in brackets, no spaces)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not host:port; expected {HOST_PORT_EXPECTED}")
    host, port = split_host_port(value)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
