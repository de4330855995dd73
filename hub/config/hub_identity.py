"""The hub's id (``hub.id``): what it may look like, and how a tool that writes hub configs
makes one.

Federation stamps the id as the origin of every event a hub journals, so two hubs of one
deployment must never share it, and it has to be safe wherever it is shown: a log field, a
metric label, a URL, a file name. Hence a narrow alphabet and a short length.
"""
from __future__ import annotations

import re

__all__ = ["HUB_ID_MAX_LENGTH", "hub_id_from", "validate_hub_id"]

HUB_ID_MAX_LENGTH = 64
_HUB_ID = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?\Z")
_NOT_ALLOWED = re.compile(r"[^a-z0-9.-]+")


def validate_hub_id(value: str) -> str:
    """``value`` if it is a valid hub id, else ValueError saying what one looks like and why."""
    if not _HUB_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid hub id; expected 1-{HUB_ID_MAX_LENGTH} lowercase letters, digits, '-' "
            "or '.', starting and ending with a letter or digit, e.g. yanhu-county (unique per deployment: "
            "federation stamps it as the origin of this hub's events)")
    return value


def hub_id_from(*parts: str) -> str:
    """A valid hub id made of ``parts`` (e.g. a scenario's name and a school id): lowercased,
    other characters turned into '-', joined by '-', cut to the maximum length."""
    text = "-".join(_NOT_ALLOWED.sub("-", part.lower()) for part in parts if part)
    text = re.sub(r"-{2,}", "-", text).strip("-.")[:HUB_ID_MAX_LENGTH].rstrip("-.")
    if not text:
        raise ValueError(f"no hub id can be made of {parts!r}")
    return validate_hub_id(text)
