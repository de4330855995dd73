"""Fuzz target for the SIA DC-09 parsers: stream splitting, frames (plain and encrypted), data blocks.

Run with atheris: ``python fuzz/fuzz_sia.py [corpus_dir]``. The contract under test: on any bytes the
parsers raise nothing but :class:`adapters.sia.errors.SiaError`.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import datetime as dt  # noqa: E402

from adapters.sia.content import parse_adm_cid, parse_contact_id, parse_sia_dcs  # noqa: E402
from adapters.sia.errors import SiaError  # noqa: E402
from adapters.sia.frame import decode_frame  # noqa: E402
from adapters.sia.framer import FrameSplitter  # noqa: E402
from adapters.sia.receiver import AccountPolicy, ReceiverCore  # noqa: E402

_KEY = b"0123456789abcdef"
# The whole receiver decision path must answer (or ignore) anything without raising.
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


if __name__ == "__main__":
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
