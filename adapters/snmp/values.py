"""pysnmp/pyasn1 values -> plain Python values the sans-IO modules understand."""
from __future__ import annotations

from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

_EXCEPTIONS = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView, univ.Null)


def plain(value: Any) -> Any:
    """int for numbers, bytes for octet strings, tuple for OIDs, str for IpAddress, None otherwise."""
    if isinstance(value, _EXCEPTIONS):
        return None
    if getattr(value, "tagSet", None) == rfc1902.IpAddress.tagSet:  # v1 and v2 IpAddress classes differ
        return ".".join(str(b) for b in value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    if isinstance(value, univ.OctetString):
        return value.asOctets()
    if isinstance(value, univ.Integer):
        return int(value)
    return None


def plain_varbinds(varbinds) -> list[tuple[tuple[int, ...], Any]]:
    return [(tuple(name), plain(value)) for name, value in varbinds]
