"""Hypothesis strategies for DC-09 frames and their data blocks."""
from __future__ import annotations

import datetime as dt
import string

from hypothesis import strategies as st

from adapters.sia.content import AdmCidData, EventCode, Modifier, SiaDcsData
from adapters.sia.crypto import PAD_ALPHABET
from adapters.sia.frame import Frame, XData

HEX = "0123456789ABCDEF"
# printable ASCII that may appear inside a data or xdata block
FIELD_TEXT = "".join(c for c in string.printable if c not in "[]\r\n\t\x0b\x0c")


def hex_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(HEX, min_size=min_size, max_size=max_size)


accounts = hex_text(3, 16)
timestamps = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)
xdata_blocks = st.builds(XData, st.sampled_from("XYMVKHILS"), st.text(FIELD_TEXT, max_size=20))
keys = st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


@st.composite
def frames(draw, encrypted: bool | None = None) -> Frame:
    is_encrypted = draw(st.booleans()) if encrypted is None else encrypted
    return Frame(
        id=draw(st.sampled_from(["SIA-DCS", "ADM-CID", "NULL", "ACK", "NAK", "DUH", "RSP"])),
        sequence=draw(st.integers(0, 9999)),
        account=draw(st.none() | accounts),
        receiver=draw(st.none() | hex_text(1, 6)),
        prefix=draw(st.none() | hex_text(1, 6)),
        data=draw(st.text(FIELD_TEXT, max_size=60)),
        xdata=tuple(draw(st.lists(xdata_blocks, max_size=3))),
        timestamp=draw(st.none() | timestamps),
        encrypted=is_encrypted,
    )


modifiers = st.builds(
    Modifier, st.sampled_from(["ri", "id", "ti", "pi", "da"]), st.text("0123456789:.", max_size=5)
)
event_codes = st.builds(
    EventCode,
    st.text(string.ascii_uppercase, min_size=2, max_size=2),
    st.text(string.digits, max_size=4),
    st.none() | st.text(string.ascii_letters + string.digits + " ", max_size=10),
)


@st.composite
def sia_dcs_data(draw) -> SiaDcsData:
    fields = draw(st.lists(modifiers | event_codes, max_size=6))
    return SiaDcsData(tuple(fields), draw(st.none() | accounts), draw(st.booleans()))


adm_cid_data = st.builds(
    AdmCidData,
    st.sampled_from("136"),
    st.text(string.digits, min_size=3, max_size=3),
    hex_text(2, 2),
    hex_text(3, 3),
    st.none() | accounts,
)

pads = st.integers(1, 16).flatmap(lambda n: st.binary(min_size=n, max_size=n).map(
    lambda b: bytes(PAD_ALPHABET[x % len(PAD_ALPHABET)] for x in b)))
