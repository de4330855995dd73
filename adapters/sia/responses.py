"""Receiver responses (DC-09-2013 §5.5), built from the request they answer.

- ACK echoes sequence, receiver, line prefix and account; encrypted (with the receiver's
  timestamp, which DC-09 makes mandatory inside encryption) when the request was.
- NAK is never encrypted and carries the receiver's timestamp so the panel can fix its clock:
  ``"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY``. (``L0A0`` reads back as line prefix ``0A0``: the
  spec's ``A0`` sits where hex prefix digits may continue.)
- DUH (understood the frame, cannot process it) is sent in the clear, echoing the header.
- RSP answers a request carrying a ``[K]`` key-change xdata block; it acknowledges like ACK. We do
  not rotate keys, so it carries no new key and the panel keeps the one it has.
"""
from __future__ import annotations

import datetime as dt

from adapters.sia.crypto import PadSource, random_pad
from adapters.sia.frame import ACK, DUH, NAK, RSP, Envelope, Frame, encode_bare_frame, encode_frame


def _answer(request: Envelope | Frame, id_: str, *, encrypted: bool, timestamp: dt.datetime | None) -> Frame:
    return Frame(
        id=id_,
        sequence=request.sequence,
        account=request.account,
        receiver=request.receiver,
        prefix=request.prefix,
        encrypted=encrypted,
        timestamp=timestamp,
    )


def _acknowledgement(request: Envelope | Frame, id_: str, now: dt.datetime, key: bytes | None,
                     pad_source: PadSource, binary_crc: bool) -> bytes:
    if not request.encrypted:
        return encode_bare_frame(id_, request.sequence, request.account, request.receiver, request.prefix,
                                 binary_crc=binary_crc)
    # Encrypted like the request; DC-09 makes the timestamp mandatory inside encryption.
    stamp = response_timestamp(now)
    return encode_frame(_answer(request, id_, encrypted=request.encrypted, timestamp=stamp), key,
                        pad_source=pad_source, binary_crc=binary_crc)


# ``binary_crc`` answers an old panel in the CRC format it used itself.

def build_ack(request: Envelope | Frame, now: dt.datetime, key: bytes | None = None, *,
              pad_source: PadSource = random_pad, binary_crc: bool = False) -> bytes:
    """ACK ``request``; encrypted with ``key`` when the request was encrypted."""
    return _acknowledgement(request, ACK, now, key, pad_source, binary_crc)


def build_rsp(request: Envelope | Frame, now: dt.datetime, key: bytes | None = None, *,
              pad_source: PadSource = random_pad, binary_crc: bool = False) -> bytes:
    """RSP to a key-change request; acknowledges it like an ACK."""
    return _acknowledgement(request, RSP, now, key, pad_source, binary_crc)


def build_duh(request: Envelope | Frame, *, binary_crc: bool = False) -> bytes:
    """DUH: the receiver understood the frame but cannot process it."""
    return encode_bare_frame(DUH, request.sequence, request.account, request.receiver, request.prefix,
                             binary_crc=binary_crc)


def build_nak(now: dt.datetime, *, binary_crc: bool = False) -> bytes:
    """NAK with the receiver's time (UTC, naive or aware)."""
    frame = Frame(id=NAK, sequence=0, receiver="0", prefix="0A0", timestamp=response_timestamp(now))
    return encode_frame(frame, binary_crc=binary_crc)


def response_timestamp(now: dt.datetime) -> dt.datetime:
    """The naive UTC second DC-09 responses carry."""
    return (now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now).replace(microsecond=0)


__all__ = ["build_ack", "build_duh", "build_nak", "build_rsp", "response_timestamp"]
