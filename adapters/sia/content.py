"""The data block of DC-09 messages, sans-IO: SIA DC-03 (``SIA-DCS``) and Contact ID (``ADM-CID``).

SIA-DCS data: ``[#acct|N<field>/<field>/...]`` where a field is either a two-letter lowercase
modifier with a value (``ri1`` area 1, ``id12`` user 12, ``ti10:15`` time, ``pi`` peripheral) or a
two-letter uppercase event code with an address (``BA01`` burglary zone 1), optionally followed by
text in carets (``BA01^Hall^``). One block may carry several events; a modifier applies to every event
after it until changed (``Nri1/BA01/BA02/ri2/FA05``).

ADM-CID data: ``[#acct|QXYZ GG CCC]`` (event qualifier, event code, partition, zone or user).
Contact ID over DTMF (DC-05) wraps the same fields as ``ACCT MT Q XYZ GG CCC S`` with a checksum
digit; :class:`ContactIdMessage` reads and writes that form too.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from adapters.sia.errors import ContentError

# The data classes here are values, built for every message: slots and not frozen, because a
# frozen dataclass takes twice as long to build.

_ACCOUNT_PREFIX = re.compile(r"#([0-9A-Fa-f]{3,16})\|")
_MODIFIER = re.compile(r"([a-z]{2})([^/^\[\]|]*)")
_EVENT = re.compile(r"([A-Z]{2})([0-9A-Za-z]*)(?:\^([^/^\[\]|]*)\^)?")
_ADM = re.compile(r"([0-9])([0-9]{3}) ([0-9A-Fa-f]{2}) ([0-9A-Fa-f]{3})")

#: modifier names that become event attributes (others are kept under their own name)
MODIFIER_NAMES = {"ri": "area", "id": "user", "ti": "time", "pi": "peripheral"}


@dataclasses.dataclass(slots=True)
class Modifier:
    """A lowercase field such as ``ri1`` (name ``ri``, value ``1``)."""

    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}{self.value}"


@dataclasses.dataclass(slots=True)
class EventCode:
    """An uppercase field such as ``BA01`` (code ``BA``, address ``01``), text is ``^...^``."""

    code: str
    address: str = ""
    text: str | None = None

    def __str__(self) -> str:
        return f"{self.code}{self.address}" + (f"^{self.text}^" if self.text is not None else "")


Field = Modifier | EventCode


@dataclasses.dataclass(slots=True)
class SiaEvent:
    """One event of a SIA-DCS block with the modifiers in force for it."""

    code: str
    address: str
    text: str | None
    modifiers: tuple[tuple[str, str], ...]

    @property
    def area(self) -> str | None:
        return dict(self.modifiers).get("ri")

    @property
    def user(self) -> str | None:
        return dict(self.modifiers).get("id")


@dataclasses.dataclass(slots=True)
class SiaDcsData:
    """The data block of a SIA-DCS message."""

    fields: tuple[Field, ...]
    account: str | None = None
    new_event: bool = True  # the leading 'N' qualifier

    def events(self) -> Iterator[SiaEvent]:
        modifiers: dict[str, str] = {}
        for field in self.fields:
            if isinstance(field, Modifier):
                modifiers[field.name] = field.value
            else:
                yield SiaEvent(field.code, field.address, field.text, tuple(modifiers.items()))

    def build(self) -> str:
        prefix = f"#{self.account}|" if self.account is not None else ""
        text = prefix + ("N" if self.new_event else "") + "/".join(str(f) for f in self.fields)
        try:
            readable = parse_sia_dcs(text) == self
        except ContentError:
            readable = False
        if not readable:
            raise ValueError(f"{self!r} would not read back as itself from {text!r}")
        return text


def parse_field(text: str) -> Field:
    if match := _MODIFIER.fullmatch(text):
        return Modifier(match[1], match[2])
    if match := _EVENT.fullmatch(text):
        return EventCode(match[1], match[2], match[3])
    raise ContentError(f"SIA field {text!r} is neither a modifier (ri1) nor an event code (BA01)")


def _split_account(data: str) -> tuple[str | None, str]:
    if not data.startswith("#"):
        return None, data
    match = _ACCOUNT_PREFIX.match(data)
    if match is None:
        raise ContentError(f"data starts with '#' but not with '#<3-16 hex digits>|': {data[:24]!r}")
    return match[1], data[match.end():]


_NEW_EVENT = re.compile(r"N(?:[a-z]|[A-Z]{2})")


def parse_sia_dcs(data: str) -> SiaDcsData:
    """Read a SIA-DCS data block (the text between the first ``[`` and ``]``)."""
    account, rest = _split_account(data)
    # 'N' is the new-event qualifier unless it starts an event code itself (e.g. 'NA01').
    new_event = _NEW_EVENT.match(rest) is not None
    if new_event:
        rest = rest[1:]
    if not rest:
        return SiaDcsData((), account, new_event)
    return SiaDcsData(tuple(parse_field(part) for part in rest.split("/")), account, new_event)


# --- Contact ID -----------------------------------------------------------------------------------

@dataclasses.dataclass(slots=True)
class AdmCidData:
    """``QXYZ GG CCC``: qualifier (1 new/open, 3 restore/close, 6 still present), event code,
    partition (group) and zone or user."""

    qualifier: str
    event: str
    partition: str
    zone: str
    account: str | None = None

    def build(self) -> str:
        body = f"{self.qualifier}{self.event} {self.partition} {self.zone}"
        if not _ADM.fullmatch(body):
            raise ValueError(f"not a Contact ID body: {body!r}")
        return (f"#{self.account}|" if self.account is not None else "") + body


def parse_adm_cid(data: str) -> AdmCidData:
    """Read an ADM-CID data block."""
    account, rest = _split_account(data)
    match = _ADM.fullmatch(rest)
    if match is None:
        raise ContentError(f"ADM-CID data is not 'QXYZ GG CCC': {rest[:24]!r}")
    return AdmCidData(match[1], match[2], match[3], match[4], account)


# DTMF digit values: '0' (and 'A') count 10, B-F 11-15.
_DIGIT_VALUES = {**{str(d): d for d in range(1, 10)}, "0": 10, "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15}
_VALUE_DIGITS = {v: d for d, v in _DIGIT_VALUES.items() if d != "A"}


def contact_id_checksum(digits: str) -> str:
    """The digit S that makes the sum of ``digits`` + S a multiple of 15 (0 counts as 10)."""
    try:
        total = sum(_DIGIT_VALUES[d] for d in digits.upper())
    except KeyError as exc:
        raise ContentError(f"{exc.args[0]!r} is not a Contact ID digit") from None
    return _VALUE_DIGITS[15 - total % 15]


@dataclasses.dataclass(frozen=True)
class ContactIdMessage:
    """A DC-05 Contact ID message ``ACCT MT Q XYZ GG CCC S`` (16 digits, spaces optional)."""

    account: str
    qualifier: str
    event: str
    partition: str
    zone: str
    message_type: str = "18"

    def build(self) -> str:
        digits = f"{self.account}{self.message_type}{self.qualifier}{self.event}{self.partition}{self.zone}"
        if not re.fullmatch(r"[0-9B-F]{4}(18|98)[0-9][0-9]{3}[0-9B-F]{2}[0-9B-F]{3}", digits):
            raise ValueError(f"not a Contact ID message: {digits!r}")
        return digits + contact_id_checksum(digits)

    def to_adm_cid(self) -> AdmCidData:
        return AdmCidData(self.qualifier, self.event, self.partition, self.zone, self.account)


def parse_contact_id(text: str) -> ContactIdMessage:
    """Read a 16-digit Contact ID message and verify its checksum."""
    digits = text.replace(" ", "").upper()
    match = re.fullmatch(r"([0-9B-F]{4})(18|98)([0-9])([0-9]{3})([0-9B-F]{2})([0-9B-F]{3})([0-9B-F])", digits)
    if match is None:
        raise ContentError(f"not a 16-digit Contact ID message: {text[:24]!r}")
    if contact_id_checksum(digits[:-1]) != digits[-1]:
        raise ContentError(f"Contact ID checksum {digits[-1]} is wrong, expected {contact_id_checksum(digits[:-1])}")
    return ContactIdMessage(match[1], match[3], match[4], match[5], match[6], match[2])
