"""SIA-DCS and ADM-CID data blocks, Contact ID checksum, responses and the stream splitter."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sia.content import (
    AdmCidData,
    ContactIdMessage,
    EventCode,
    Modifier,
    SiaDcsData,
    contact_id_checksum,
    parse_adm_cid,
    parse_contact_id,
    parse_sia_dcs,
)
from adapters.sia.errors import ContentError
from adapters.sia.frame import Frame, decode_frame, encode_frame
from adapters.sia.framer import Discarded, FrameSplitter
from adapters.sia.responses import build_ack, build_duh, build_nak, build_rsp

from .strategies import adm_cid_data, frames, keys, sia_dcs_data

NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)


@given(sia_dcs_data())
def test_sia_dcs_round_trip(data):
    try:
        text = data.build()
    except ValueError:  # an ambiguous combination the builder refuses to write
        return
    assert parse_sia_dcs(text) == data


def test_multi_event_block_carries_modifiers_forward():
    data = parse_sia_dcs("#1234|Nri1/id7/BA01/BA02^Hall^/ri2/FA05")
    assert data.account == "1234" and data.new_event
    events = list(data.events())
    assert [(e.code, e.address, e.area, e.user, e.text) for e in events] == [
        ("BA", "01", "1", "7", None), ("BA", "02", "1", "7", "Hall"), ("FA", "05", "2", "7", None),
    ]


def test_sia_dcs_qualifier_is_not_confused_with_codes():
    assert parse_sia_dcs("NA01").fields == (EventCode("NA", "01"),) and not parse_sia_dcs("NA01").new_event
    assert parse_sia_dcs("NNA01").fields == (EventCode("NA", "01"),)
    assert parse_sia_dcs("Nri0/RP000").fields == (Modifier("ri", "0"), EventCode("RP", "000"))
    with pytest.raises(ValueError):
        SiaDcsData((EventCode("NB", "A1"),), new_event=False).build()  # would read back as N + BA1


@given(st.text(max_size=40))
def test_data_parsers_raise_only_content_error(text):
    for parse in (parse_sia_dcs, parse_adm_cid, parse_contact_id):
        try:
            parse(text)
        except ContentError:
            pass


def test_bad_data_blocks():
    for text in ("#12|Nri1/BA01", "#1234Nri1/BA01", "Nri1/B", "Nri1//BA01", "N^x^"):
        with pytest.raises(ContentError):
            parse_sia_dcs(text)
    for text in ("1130 01 15", "1130 1 015", "#12|1130 01 015", "11300 01 015"):
        with pytest.raises(ContentError):
            parse_adm_cid(text)


@given(adm_cid_data)
def test_adm_cid_round_trip(data):
    assert parse_adm_cid(data.build()) == data


def test_adm_cid_example():
    assert parse_adm_cid("#1234|1130 01 015") == AdmCidData("1", "130", "01", "015", "1234")


contact_ids = st.builds(
    ContactIdMessage,
    st.text("0123456789BCDEF", min_size=4, max_size=4),
    st.sampled_from("136"),
    st.text("0123456789", min_size=3, max_size=3),
    st.text("0123456789BCDEF", min_size=2, max_size=2),
    st.text("0123456789BCDEF", min_size=3, max_size=3),
    st.sampled_from(["18", "98"]),
)
_VALUE = {**{str(d): d for d in range(1, 10)}, "0": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15}


@given(contact_ids)
def test_contact_id_checksum_makes_sum_divisible_by_15(message):
    text = message.build()
    assert len(text) == 16 and sum(_VALUE[d] for d in text) % 15 == 0
    assert parse_contact_id(text) == message
    assert message.to_adm_cid().build().endswith(f"{message.qualifier}{message.event} {message.partition} {message.zone}")


@given(contact_ids, st.integers(0, 14), st.sampled_from("0123456789BCDEF"))
def test_contact_id_single_digit_error_is_detected(message, index, digit):
    text = message.build()
    if text[index] == digit or index in (4, 5):  # 4-5 is the message type, constrained to 18/98
        return
    with pytest.raises(ContentError):
        parse_contact_id(text[:index] + digit + text[index + 1:])


def test_contact_id_known_checksum():
    # 1+2+3+4 +1+8 +1 +1+3+10 +10+1 +10+1+5 = 61; 61 + 14 = 75 = 5 * 15, so S = E
    assert contact_id_checksum("123418113001015") == "E"
    assert parse_contact_id("1234 18 1 130 01 015 E").event == "130"


# --- responses ----------------------------------------------------------------------------------

def test_nak_carries_receiver_time_and_is_never_encrypted():
    raw = build_nak(NOW)
    assert raw[9:-1] == b'"NAK"0000R0L0A0[]_12:00:00,11-22-2026'
    assert decode_frame(raw).timestamp == dt.datetime(2026, 11, 22, 12, 0, 0)


def test_ack_and_duh_echo_the_header():
    request = Frame("SIA-DCS", 42, account="ABC123", receiver="12", prefix="3", data="#ABC123|NPA01")
    assert decode_frame(build_ack(request, NOW)) == Frame("ACK", 42, "ABC123", "12", "3")
    assert decode_frame(build_duh(request)) == Frame("DUH", 42, "ABC123", "12", "3")
    assert decode_frame(build_rsp(request, NOW)) == Frame("RSP", 42, "ABC123", "12", "3")


@given(frames(encrypted=True), keys)
def test_encrypted_request_gets_encrypted_ack_with_timestamp(request, key):
    ack = decode_frame(build_ack(request, NOW, key), key)
    assert ack.encrypted and ack.id == "ACK" and ack.sequence == request.sequence
    assert ack.timestamp == dt.datetime(2026, 11, 22, 12, 0, 0)
    assert not decode_frame(build_duh(request)).encrypted


# --- stream splitter ----------------------------------------------------------------------------

@given(st.lists(frames(encrypted=False), min_size=1, max_size=5), st.data())
def test_splitter_reassembles_any_chunking(frame_list, data):
    stream = b"".join(encode_frame(f) for f in frame_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    splitter, out = FrameSplitter(max_frame_bytes=4200), []
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        out += splitter.feed(stream[start:end])
    assert [decode_frame(item) for item in out] == frame_list
    assert splitter.pending == 0


def test_splitter_reports_garbage_and_drops_oversized_frames():
    good = encode_frame(Frame("NULL", 1, account="1234"))
    splitter = FrameSplitter(max_frame_bytes=64)
    out = splitter.feed(b"hello" + good + b"\n" + b"A" * 100 + b"\r" + good)
    assert out == [Discarded("garbage", 5), good, Discarded("oversized", 102), good]
    out = splitter.feed(b"\n" + b"B" * 200)  # never buffers past the limit
    assert out == [Discarded("oversized", 201)] and splitter.pending == 0
    assert splitter.feed(b"BB\r" + good) == [Discarded("oversized", 3), good]


@given(st.lists(st.binary(max_size=64), max_size=10))
def test_splitter_never_holds_more_than_the_limit(chunks):
    splitter = FrameSplitter(max_frame_bytes=100)
    for chunk in chunks:
        for item in splitter.feed(chunk):
            assert isinstance(item, Discarded) or (item[:1] == b"\n" and item[-1:] == b"\r" and len(item) <= 100)
        assert splitter.pending < 100
