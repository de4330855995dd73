"""The SIA receiver's decisions on frames with a *valid* CRC and length, plain or encrypted.

Input: one flags byte, one clock byte, then the frame content as a panel writes it before
encryption (``"SIA-DCS"0001L0#1234[#1234|NBA01]_09:00:00,01-01-2026``). The target encrypts the
body when asked (with the key of the account the header names), repairs CRC and length, and lets
:class:`ReceiverCore` judge it for accounts with time zones east and west of UTC, at ordinary
times and at the ends of the calendar. Invariants: no exception, and every reply the receiver
decides on is a frame that decodes with the account's key.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import zoneinfo
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.sia.crc import crc16_arc  # noqa: E402
from adapters.sia.crypto import encrypt_body, pad_length  # noqa: E402
from adapters.sia.frame import decode_frame  # noqa: E402
from adapters.sia.receiver import AccountPolicy, Outcome, ReceiverCore, RecentMessages, duplicate_key  # noqa: E402

_POLICIES = {
    "1234": AccountPolicy("1234", "plain-utc"),
    "ABCD": AccountPolicy("ABCD", "aes128-tokyo", key=b"0123456789abcdef", timezone=zoneinfo.ZoneInfo("Asia/Tokyo")),
    "5678": AccountPolicy("5678", "aes192-los-angeles", key=b"0123456789abcdef01234567", allow_plaintext=True,
                          timezone=zoneinfo.ZoneInfo("America/Los_Angeles")),
    "9ABC": AccountPolicy("9ABC", "no-clock-kiritimati", check_timestamp=False,
                          timezone=zoneinfo.ZoneInfo("Pacific/Kiritimati")),
    "DEF0": AccountPolicy("DEF0", "aes256-utc-12", key=bytes(range(32)), timezone=zoneinfo.ZoneInfo("Etc/GMT+12"),
                          window_before_s=1e9, window_after_s=1e9),
}
_CORE = ReceiverCore(_POLICIES, unmapped_codes="emit", pad_source=lambda n: b"R" * n)
_STRICT = ReceiverCore(_POLICIES, unmapped_codes="duh", pad_source=lambda n: b"R" * n)
_NOWS = (
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=dt.UTC),
)
_ACCOUNT = re.compile(rb"#([0-9A-Fa-f]{3,16})")
_KEYS = [p.key for p in _POLICIES.values() if p.key]
_RECENT = RecentMessages(60.0, per_account=4)

ENCRYPT, BINARY_CRC, KEEP_CRC, WRONG_KEY = 1, 2, 4, 8


def build_frame(flags: int, content: bytes) -> bytes:
    """Encrypt (if asked) and frame ``content`` with the CRC and length it should have."""
    header, bracket, body = content.partition(b"[")
    if flags & ENCRYPT and bracket:
        found = _ACCOUNT.search(header)
        policy = _POLICIES.get(found[1].decode().upper()) if found else None
        key = policy.key if policy is not None and policy.key and not flags & WRONG_KEY else _KEYS[flags >> 4 & 1]
        if not header.startswith(b'"*') and header.startswith(b'"'):
            header = b'"*' + header[1:]
        content = header + b"[" + encrypt_body(body, key, b"P" * pad_length(len(body))).encode()
    if flags & KEEP_CRC:
        return b"\n" + content + b"\r"  # as given: the fields are in it, or it is junk
    crc = crc16_arc(content)
    crc_field = crc.to_bytes(2, "big") if flags & BINARY_CRC else b"%04X" % crc
    return b"\n" + crc_field + b"%04X" % len(content) + content + b"\r"


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if len(data) < 2:
        return
    raw = build_frame(data[0], data[2:])
    now = _NOWS[data[1] % len(_NOWS)]
    core = _STRICT if data[1] & 0x80 else _CORE
    verdict = core.assess(raw, now)
    if verdict.reply is not None:
        key = verdict.policy.key if verdict.policy is not None else None
        answer = decode_frame(verdict.reply, key)  # our own answers must always be valid DC-09
        assert answer.id == verdict.outcome.value.upper() or verdict.outcome == Outcome.RSP, (answer.id, verdict)
    if verdict.frame is not None:
        _RECENT.remember(verdict.frame.account, duplicate_key(verdict.frame), verdict.outcome, 0.0)
        core.reread(raw)


def _content(account: str, data: str, stamp: str, id_: str = "SIA-DCS", xdata: str = "") -> bytes:
    return f'"{id_}"0001L0#{account}[{data}]{xdata}_{stamp}'.encode()


def seeds() -> dict[str, bytes]:
    plain, encrypt = bytes([0]), bytes([ENCRYPT])
    clock = bytes([0])
    return {
        "plain-utc": plain + clock + _content("1234", "#1234|Nri1/BA01", "00:00:05,01-01-2026"),
        "plain-adm-cid": plain + clock + _content("1234", "#1234|1130 01 015", "00:00:00,01-01-2026", "ADM-CID"),
        "tokyo-encrypted": encrypt + clock + _content("ABCD", "#ABCD|NPA01", "09:00:00,01-01-2026"),
        "los-angeles-encrypted-key-change": encrypt + clock + _content(
            "5678", "#5678|NRP", "16:00:00,12-31-2025", xdata="[K0123456789ABCDEF0123456789ABCDEF]"),
        "los-angeles-plaintext-allowed": plain + clock + _content("5678", "#5678|NFA01", "16:00:00,12-31-2025"),
        "kiritimati-no-clock": plain + clock + _content("9ABC", "#9ABC|NYY", "14:00:00,01-01-2026"),
        "utc-12-null": encrypt + clock + b'"NULL"0002L0#DEF0[]_12:00:00,12-31-2025',
        "binary-crc": bytes([BINARY_CRC]) + clock + _content("1234", "#1234|NBA01", "00:00:00,01-01-2026"),
        "xdata-and-unmapped-code": plain + bytes([0x80]) + _content(
            "1234", "#1234|NZZ01", "00:00:00,01-01-2026", xdata="[X12E34.5][Y56N78.9]"),
        # issue 19: year one east of UTC and 9999 west of it (were OverflowError in the clock check)
        "issue19-year-one-east": encrypt + clock + _content("ABCD", "#ABCD|NBA01", "00:00:00,01-01-0001"),
        "issue19-year-9999-west": encrypt + clock + _content("5678", "#5678|NBA01", "23:00:00,12-31-9999"),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
