"""SIA DC-09 parsers on raw bytes: stream splitting, frames (plain and encrypted), data blocks.

The contract: on any bytes the parsers raise nothing but :class:`adapters.sia.errors.SiaError`.
Most mutations of raw bytes die at the CRC; ``fuzz_sia_receiver`` repairs it to go deeper.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.sia.content import parse_adm_cid, parse_contact_id, parse_sia_dcs  # noqa: E402
from adapters.sia.errors import SiaError  # noqa: E402
from adapters.sia.frame import Frame, decode_frame, encode_frame  # noqa: E402
from adapters.sia.framer import FrameSplitter  # noqa: E402
from adapters.sia.receiver import AccountPolicy, ReceiverCore  # noqa: E402

_KEY = b"0123456789abcdef"
_CORE = ReceiverCore({
    "1234": AccountPolicy("1234", "plain"),
    "ABCD": AccountPolicy("ABCD", "encrypted", key=_KEY),
    "5678": AccountPolicy("5678", "no-clock", check_timestamp=False),
})
_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    splitter = FrameSplitter(max_frame_bytes=512)
    for item in splitter.feed(data) + splitter.feed(b"\r"):
        if isinstance(item, bytes):
            _CORE.assess(item, _NOW)
            try:
                frame = decode_frame(item, _KEY)
            except SiaError:
                continue
            for parse in (parse_sia_dcs, parse_adm_cid):
                try:
                    parse(frame.data)
                except SiaError:
                    pass
    _CORE.assess(data, _NOW)
    text = data.decode("latin-1")
    for parse in (parse_sia_dcs, parse_adm_cid, parse_contact_id):
        try:
            parse(text)
        except SiaError:
            pass


def seeds() -> dict[str, bytes]:
    stamp = dt.datetime(2026, 1, 1)
    return {
        "sia-dcs": encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|Nri1/BA01", timestamp=stamp)),
        "adm-cid": encode_frame(Frame("ADM-CID", 2, account="5678", data="#5678|1130 01 015")),
        "encrypted": encode_frame(Frame("SIA-DCS", 3, account="ABCD", data="#ABCD|NPA01", encrypted=True,
                                        timestamp=stamp), _KEY, pad_source=lambda n: b"P" * n),
        "two-frames-and-junk": b"junk" + encode_frame(Frame("NULL", 4, account="1234", timestamp=stamp)) * 2,
        "contact-id": b"#5678|1130 01 015",
        # issue 19: whitespace inside an encrypted body (was a ValueError from the AES decryptor)
        "issue19-encrypted-whitespace": bytes.fromhex(
            "0a3631344130303336222a5349412d44435322303030314c3023414243445b3030303030303030303030303030"
            "3030303030303030303030303030303020200d"),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
