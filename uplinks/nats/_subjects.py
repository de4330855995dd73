"""Subjects of the federation: ``<prefix>.<lane>.<pp>.<cc>.<xx>.<school>.<category>``.

NATS wildcards match whole tokens, so the GB/T 2260 code is split into its province, prefecture
and county digits: ``campus.*.14.>`` is a province, ``campus.*.14.08.02.>`` a county. The lane
(``alarm`` or ``event``) comes before the region so alarm categories live in their own stream and
consumer and never queue behind a backlog of routine events. A school id may contain characters a
token cannot (``.``, ``*``, ``>``, spaces): those are written ``~XX`` (the byte in hex).
"""
from __future__ import annotations

import re

from hub.events import Category, category_name

__all__ = ["ALARM_CATEGORIES", "LANES", "decode_token", "encode_token", "event_subject", "lane_of",
           "region_filter", "region_of_subject"]

#: Categories that travel in the alarm lane: a person or a building in danger.
ALARM_CATEGORIES = frozenset({Category.CATEGORY_FIRE, Category.CATEGORY_PANIC, Category.CATEGORY_INTRUSION,
                              Category.CATEGORY_MEDICAL, Category.CATEGORY_ALARM})
LANES = ("alarm", "event")
_EMPTY = "_"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+\Z")


def lane_of(category: int) -> str:
    return "alarm" if category in ALARM_CATEGORIES else "event"


def encode_token(text: str) -> str:
    """``text`` as one subject token (``_`` for empty; ``~XX`` for bytes a token cannot hold)."""
    if not text:
        return _EMPTY
    if text == _EMPTY:  # the school really named "_": escaped, or it would read back as empty
        return "~5F"
    if _PLAIN.match(text) and "~" not in text:
        return text
    return "".join(ch if _PLAIN.match(ch) and ch != "~" else "".join(f"~{b:02X}" for b in ch.encode())
                   for ch in text)


def decode_token(token: str) -> str:
    if token == _EMPTY:
        return ""
    if "~" not in token:
        return token
    out, i = bytearray(), 0
    while i < len(token):
        if token[i] == "~":
            out.append(int(token[i + 1:i + 3], 16))
            i += 3
        else:
            out += token[i].encode()
            i += 1
    return out.decode()


def _region_tokens(region: str) -> list[str]:
    if len(region) != 6 or not (region.isascii() and region.isdigit()):
        return [_EMPTY, _EMPTY, _EMPTY]
    return [region[0:2], region[2:4], region[4:6]]


def event_subject(prefix: str, region: str, school: str, category: int) -> str:
    """The subject an event of ``region`` (six digits), ``school`` and ``category`` is published on."""
    return ".".join([prefix, lane_of(category), *_region_tokens(region), encode_token(school),
                     category_name(category)])


def region_filter(prefix: str, lane: str, region_prefix: str) -> str:
    """The filter subject of one lane under a region prefix of 2, 4 or 6 digits ("" = every region)."""
    tokens = [region_prefix[i:i + 2] for i in range(0, len(region_prefix), 2)]
    return ".".join([prefix, lane, *tokens, ">"])


def region_of_subject(prefix: str, subject: str) -> tuple[str, str, str] | None:
    """(lane, region code, school) of a federation subject, or None if it is not one."""
    head = prefix + "."
    if not subject.startswith(head):
        return None
    tokens = subject[len(head):].split(".")
    if len(tokens) != 6 or tokens[0] not in LANES:
        return None
    region = "".join(tokens[1:4])
    return tokens[0], ("" if _EMPTY in tokens[1:4] else region), decode_token(tokens[4])
