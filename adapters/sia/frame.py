"""DC-09 frames, sans-IO: parse and build, exact inverses.

Wire shape (DC-09-2013 §5)::

    LF crc 0LLL "id" seq [Rrcvr] [Lpref] [#acct] [data] [xdata]... [_HH:MM:SS,MM-DD-YYYY] CR

``crc`` is four ASCII hex digits of CRC-16/ARC (old panels: two binary bytes, detected by where the
first ``"`` sits) and ``0LLL`` the length in hex; both cover ``"id"`` up to the byte before CR.
Encrypted ids start with ``*`` and everything after the opening ``[`` is uppercase hex of
AES-CBC(``pad|data][xdata]..._timestamp``), see :mod:`adapters.sia.crypto`.

Two steps, because the key depends on the account in the cleartext header:
:func:`parse_envelope` checks integrity and reads the header, :func:`open_envelope` decrypts (when
needed) and reads data, xdata and timestamp. :func:`decode_frame` does both. Every parser raises only
:class:`~adapters.sia.errors.SiaError` subclasses.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from adapters.sia.crc import crc16_arc
from adapters.sia.crypto import PadSource, decrypt_body, encrypt_body, pad_length, random_pad
from adapters.sia.errors import CrcMismatch, DecryptionError, FramingError, HeaderError, LengthMismatch, SiaError

LF, CR = b"\n", b"\r"
SIA_DCS, ADM_CID, NULL = "SIA-DCS", "ADM-CID", "NULL"
ACK, NAK, DUH, RSP = "ACK", "NAK", "DUH", "RSP"
#: ids a transmitter sends (and a receiver processes)
MESSAGE_IDS = frozenset({SIA_DCS, ADM_CID, NULL})
#: ids a receiver answers with
RESPONSE_IDS = frozenset({ACK, NAK, DUH, RSP})
#: the largest length a ``0LLL`` field can state
MAX_CONTENT_LENGTH = 0xFFF

_HEX = "0-9A-Fa-f"
_HEADER = re.compile(
    rf'"(?P<star>\*?)(?P<id>[A-Z0-9-]{{1,16}})"(?P<seq>[0-9]{{4}})'
    rf"(?:R(?P<receiver>[{_HEX}]{{1,6}}))?(?:L(?P<prefix>[{_HEX}]{{1,6}}))?(?:#(?P<account>[{_HEX}]{{3,16}}))?\[",
)
_PLAIN_BODY = re.compile(
    r"(?P<data>[^\[\]]*)\](?P<xdata>(?:\[[^\[\]]+\])*)(?:_(?P<ts>[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{2}-[0-9]{2}-[0-9]{4}))?"
)
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_FORBIDDEN_IN_FIELDS = frozenset("[]\r\n")


@dataclasses.dataclass(slots=True)
class XData:
    """An extended data block ``[<name><value>]``, e.g. ``[X116.9E]`` (name ``X``, value ``116.9E``).

    Known names: X longitude, Y latitude, M MAC, V verification URL, K key change request, H time.
    """

    name: str
    value: str = ""


@dataclasses.dataclass(slots=True)
class Frame:
    """One DC-09 message or response, decrypted. (A value: not frozen only because a frozen
    dataclass costs twice as much to build, and the receiver builds one per message.)

    ``timestamp`` is the sender's wall clock as written (naive; UTC per DC-09 unless the account is
    configured with a device timezone). ``pad`` is the encryption pad as received; when building,
    ``None`` draws a random one.
    """

    id: str
    sequence: int
    account: str | None = None
    receiver: str | None = None
    prefix: str | None = "0"
    data: str = ""
    xdata: tuple[XData, ...] = ()
    timestamp: dt.datetime | None = None
    encrypted: bool = False
    pad: bytes | None = None

    def xdata_value(self, name: str) -> str | None:
        """The value of the first xdata block called ``name``, if any."""
        return next((x.value for x in self.xdata if x.name == name), None)


@dataclasses.dataclass(slots=True)
class Envelope:
    """A frame whose integrity (CRC, length) and header are checked; the body is still opaque.
    (A value, not frozen for the same reason as Frame.)"""

    id: str
    sequence: int
    account: str | None
    receiver: str | None
    prefix: str | None
    encrypted: bool
    body: str  # after the opening '[': plaintext body, or the ciphertext hex
    binary_crc: bool = False


def format_timestamp(when: dt.datetime) -> str:
    """``HH:MM:SS,MM-DD-YYYY`` (fields zero-padded, as DC-09 requires for every year)."""
    return f"{when.hour:02d}:{when.minute:02d}:{when.second:02d},{when.month:02d}-{when.day:02d}-{when.year:04d}"


def parse_timestamp(text: str) -> dt.datetime:
    """``HH:MM:SS,MM-DD-YYYY`` to a naive datetime; :class:`FramingError` if it is no real time."""
    try:
        time_part, date_part = text.split(",")
        hour, minute, second = (int(x) for x in time_part.split(":"))
        month, day, year = (int(x) for x in date_part.split("-"))
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise FramingError(f"bad timestamp {text!r}: {exc}") from None


# --- parsing ------------------------------------------------------------------------------------

def parse_envelope(raw: bytes) -> Envelope:
    """Check framing, CRC and length of one frame (LF ... CR) and read its header."""
    if len(raw) < 12 or raw[:1] != LF or raw[-1:] != CR:
        raise FramingError("a frame starts with LF, ends with CR and holds at least a header")
    if raw[9:10] == b'"' and all(c in _HEX_DIGITS for c in raw[1:9]):
        stated_crc, length_field, content, binary = int(raw[1:5], 16), raw[5:9], raw[9:-1], False
    elif raw[7:8] == b'"' and all(c in _HEX_DIGITS for c in raw[3:7]):
        stated_crc, length_field, content, binary = int.from_bytes(raw[1:3], "big"), raw[3:7], raw[7:-1], True
    else:
        raise FramingError("no 'crc 0LLL \"' header after LF")
    actual_crc = crc16_arc(content)
    if stated_crc != actual_crc:
        raise CrcMismatch(f"frame says CRC {stated_crc:04X}, content has {actual_crc:04X}")
    if int(length_field, 16) != len(content):
        raise LengthMismatch(f"frame says length {int(length_field, 16)}, content has {len(content)}")
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise HeaderError("frame content is not ASCII") from None
    header = _HEADER.match(text)
    if header is None:
        raise HeaderError(f"unreadable header: {_header_problem(text)}")
    return Envelope(
        id=header["id"],
        sequence=int(header["seq"]),
        account=header["account"],
        receiver=header["receiver"],
        prefix=header["prefix"],
        encrypted=bool(header["star"]),
        body=text[header.end():],
        binary_crc=binary,
    )


_HEX_TEXT = frozenset("0123456789ABCDEFabcdef")
_QUOTED_ID = re.compile(r'"(\*?)([^"]{0,40})"')
_HEADER_FIELDS = (("R", "receiver", re.compile(rf"[{_HEX}]{{1,6}}"), "1-6 hex digits"),
                  ("L", "line prefix", re.compile(rf"[{_HEX}]{{1,6}}"), "1-6 hex digits"),
                  ("#", "account", re.compile(rf"[{_HEX}]{{3,16}}"), "3-16 hex digits"))


def _header_problem(text: str) -> str:
    """What is wrong with a header that ``_HEADER`` does not match, field by field (the first
    wrong field wins), for answers a person can act on."""
    quoted = _QUOTED_ID.match(text)
    if quoted is None:
        return f"the content does not start with a quoted id like '\"SIA-DCS\"': {text[:20]!r}"
    if not _ID.fullmatch(quoted[2]):
        return f"id {quoted[2]!r} is not 1-16 upper-case letters, digits or '-'"
    position = quoted.end()
    sequence = text[position:position + 4]
    if not (len(sequence) == 4 and sequence.isascii() and sequence.isdigit()):
        return f"the sequence number after the id is {sequence!r}, not 4 digits"
    position += 4
    for letter, name, pattern, expected in _HEADER_FIELDS:
        if text.startswith(letter, position):
            value = pattern.match(text, position + 1)
            end = value.end() if value else position + 1
            if value is None or (end < len(text) and text[end] in _HEX_TEXT):
                shown = re.match(r"[^\[#LR\]]*", text[position + 1:])[0][:20]
                return f"the {name} after '{letter}' is {shown!r}, not {expected}"
            position = end
    if position == len(text):
        return f"nothing follows {text!r}: the '[' that opens the data is missing"
    return (f"{text[position:position + 12]!r} follows {text[:position]!r} where only R<receiver>, L<line prefix>, "
            f"#<account> or the '[' of the data may come")


def _parse_plain_body(body: str) -> tuple[str, tuple[XData, ...], dt.datetime | None]:
    match = _PLAIN_BODY.fullmatch(body)
    if match is None:
        raise FramingError(f"body is not 'data][xdata]..._timestamp': {body[:60]!r}")
    blocks = match["xdata"][1:-1].split("][") if match["xdata"] else []
    xdata = tuple(XData(block[0], block[1:]) for block in blocks)
    timestamp = parse_timestamp(match["ts"]) if match["ts"] else None
    return match["data"], xdata, timestamp


def open_envelope(envelope: Envelope, key: bytes | None = None) -> Frame:
    """Read data, xdata and timestamp; decrypt first when the frame is encrypted (needs ``key``)."""
    pad = None
    if envelope.encrypted:
        if key is None:
            raise DecryptionError("encrypted frame but no key for its account")
        pad, plain = decrypt_body(envelope.body, key)
        try:
            data, xdata, timestamp = _parse_plain_body(plain.decode("ascii"))
        except (UnicodeDecodeError, SiaError):
            # A wrong key yields noise that rarely survives this far; treat it as a key problem.
            raise DecryptionError("decrypted text is not a DC-09 body: wrong key?") from None
    else:
        data, xdata, timestamp = _parse_plain_body(envelope.body)
    return Frame(
        id=envelope.id,
        sequence=envelope.sequence,
        account=envelope.account,
        receiver=envelope.receiver,
        prefix=envelope.prefix,
        data=data,
        xdata=xdata,
        timestamp=timestamp,
        encrypted=envelope.encrypted,
        pad=pad,
    )


def decode_frame(raw: bytes, key: bytes | None = None) -> Frame:
    """Parse one whole frame (LF ... CR); ``key`` decrypts encrypted frames."""
    return open_envelope(parse_envelope(raw), key)


# --- building -----------------------------------------------------------------------------------

_ID = re.compile(r"[A-Z0-9-]{1,16}")
_RECEIVER_OR_PREFIX = re.compile(rf"[{_HEX}]{{1,6}}")
_ACCOUNT = re.compile(rf"[{_HEX}]{{3,16}}")


def _check_field(name: str, value: str, allowed: re.Pattern) -> None:
    if not allowed.fullmatch(value):
        raise ValueError(f"{name} {value!r} does not match {allowed.pattern}")


def _body(frame: Frame) -> str:
    if set(frame.data) & (_FORBIDDEN_IN_FIELDS | {"["}) or "]" in frame.data:
        raise ValueError(f"data may not contain [, ], CR or LF: {frame.data!r}")
    for block in frame.xdata:
        if len(block.name) != 1 or set(block.name + block.value) & _FORBIDDEN_IN_FIELDS:
            raise ValueError(f"bad xdata block {block!r}")
    xdata = "".join(f"[{x.name}{x.value}]" for x in frame.xdata)
    stamp = f"_{format_timestamp(frame.timestamp)}" if frame.timestamp is not None else ""
    return f"{frame.data}]{xdata}{stamp}"


def _header(id_: str, sequence: int, account: str | None, receiver: str | None, prefix: str | None,
            encrypted: bool) -> str:
    """``"id"seq[Rrcvr][Lpref][#acct]``, every field checked."""
    _check_field("id", id_, _ID)
    if not 0 <= sequence <= 9999:
        raise ValueError(f"sequence {sequence} is outside 0000..9999")
    header = f'"{"*" if encrypted else ""}{id_}"{sequence:04d}'
    if receiver is not None:
        _check_field("receiver", receiver, _RECEIVER_OR_PREFIX)
        header += f"R{receiver}"
    if prefix is not None:
        _check_field("line prefix", prefix, _RECEIVER_OR_PREFIX)
        header += f"L{prefix}"
    if account is not None:
        _check_field("account", account, _ACCOUNT)
        header += f"#{account}"
    return header


def _framed(content: bytes, binary_crc: bool) -> bytes:
    """LF, CRC, length, ``content``, CR."""
    if len(content) > MAX_CONTENT_LENGTH:
        raise ValueError(f"frame content is {len(content)} bytes; DC-09 allows at most {MAX_CONTENT_LENGTH}")
    crc = crc16_arc(content)
    crc_field = crc.to_bytes(2, "big") if binary_crc else b"%04X" % crc
    return LF + crc_field + b"%04X" % len(content) + content + CR


def encode_bare_frame(id_: str, sequence: int, account: str | None, receiver: str | None, prefix: str | None,
                      *, binary_crc: bool = False) -> bytes:
    """The wire bytes of a frame with a header and nothing else (``...#acct[]``): a plaintext ACK,
    DUH or RSP. The same bytes as :func:`encode_frame` of such a frame, without building one
    (a receiver answers every message; this is the common answer)."""
    header = _header(id_, sequence, account, receiver, prefix, encrypted=False)
    return _framed(f"{header}[]".encode("ascii"), binary_crc)


def encode_frame(
    frame: Frame, key: bytes | None = None, *, pad_source: PadSource = random_pad, binary_crc: bool = False
) -> bytes:
    """Build the wire bytes of ``frame`` (encrypting with ``key`` when ``frame.encrypted``)."""
    header = _header(frame.id, frame.sequence, frame.account, frame.receiver, frame.prefix, frame.encrypted)
    body = _body(frame)
    if frame.encrypted:
        if key is None:
            raise ValueError("an encrypted frame needs a key")
        plain = body.encode("ascii")
        pad = frame.pad if frame.pad is not None else pad_source(pad_length(len(plain)))
        content = f"{header}[{encrypt_body(plain, key, pad)}".encode("ascii")
    else:
        content = f"{header}[{body}".encode("ascii")
    return _framed(content, binary_crc)
