"""The receiver's decisions without sockets: properties over generated frames."""
from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from adapters.sia.frame import Frame, XData, decode_frame, encode_frame
from adapters.sia.receiver import AccountPolicy, Outcome, ReceiverCore, RecentMessages

from .strategies import keys

NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
WALL = NOW.replace(tzinfo=None)


def core_for(key: bytes | None, **policy) -> ReceiverCore:
    return ReceiverCore({"1234": AccountPolicy("1234", "dev", key=key, **policy)})


messages = st.builds(
    Frame,
    id=st.sampled_from(["SIA-DCS", "ADM-CID", "NULL"]),
    sequence=st.integers(0, 9999),
    account=st.just("1234"),
    receiver=st.none() | st.sampled_from(["0", "1A"]),
    prefix=st.none() | st.sampled_from(["0", "3"]),
    data=st.just(""),
    timestamp=st.integers(-40, 20).map(lambda s: WALL + dt.timedelta(seconds=s)),
)


def with_data(frame: Frame) -> Frame:
    data = {"SIA-DCS": "#1234|Nri1/PA01/BA02", "ADM-CID": "#1234|1130 01 015", "NULL": ""}[frame.id]
    return dataclasses.replace(frame, data=data)


@given(messages, st.none() | keys)
def test_valid_messages_are_acked_in_kind(frame, key):
    frame = dataclasses.replace(with_data(frame), encrypted=key is not None)
    verdict = core_for(key).assess(encode_frame(frame, key), NOW)
    assert verdict.outcome == Outcome.ACK, verdict.detail
    ack = decode_frame(verdict.reply, key)
    assert (ack.id, ack.sequence, ack.account, ack.receiver, ack.prefix) == (
        "ACK", frame.sequence, "1234", frame.receiver, frame.prefix)
    assert ack.encrypted == frame.encrypted and (ack.timestamp is not None) == frame.encrypted
    assert len(verdict.alarms) == {"SIA-DCS": 2, "ADM-CID": 1, "NULL": 0}[frame.id]


@given(messages, st.one_of(st.integers(-10_000, -41), st.integers(21, 10_000)))
def test_times_outside_the_window_get_nak_with_our_time(frame, skew):
    frame = dataclasses.replace(with_data(frame), timestamp=WALL + dt.timedelta(seconds=skew))
    verdict = core_for(None).assess(encode_frame(frame), NOW)
    assert (verdict.outcome, verdict.reason) == (Outcome.NAK, "timestamp")
    assert decode_frame(verdict.reply).timestamp == WALL
    assert core_for(None, check_timestamp=False).assess(encode_frame(frame), NOW).outcome == Outcome.ACK


@given(messages, st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/Berlin"]))
def test_device_timezone_is_applied_before_the_window(frame, zone):
    import zoneinfo

    tz = zoneinfo.ZoneInfo(zone)
    local = NOW.astimezone(tz).replace(tzinfo=None)
    frame = dataclasses.replace(with_data(frame), timestamp=local)
    verdict = core_for(None, timezone=tz).assess(encode_frame(frame), NOW)
    assert verdict.outcome == Outcome.ACK and verdict.occurred_at == NOW


def test_decision_table_rows():
    key = b"k" * 16
    core = ReceiverCore({"1234": AccountPolicy("1234", "a"), "ABCD": AccountPolicy("ABCD", "b", key=key)},
                        unmapped_codes="duh")
    base = Frame("SIA-DCS", 1, account="1234", data="#1234|NPA01", timestamp=WALL)
    cases = [
        (encode_frame(base)[:-2] + b"\r", Outcome.IGNORE, "crc"),
        (encode_frame(dataclasses.replace(base, id="XYZ")), Outcome.DUH, "unknown_id"),
        (encode_frame(dataclasses.replace(base, account="9999")), Outcome.NAK, "unknown_account"),
        (encode_frame(dataclasses.replace(base, account="ABCD")), Outcome.NAK, "encryption_required"),
        (encode_frame(dataclasses.replace(base, account="ABCD", encrypted=True), b"x" * 16), Outcome.NAK, "decrypt"),
        (encode_frame(dataclasses.replace(base, account="1234", encrypted=True), key), Outcome.NAK, "decrypt"),
        (encode_frame(dataclasses.replace(base, data="#1234|N/")), Outcome.DUH, "content"),
        (encode_frame(dataclasses.replace(base, account="ABCD", encrypted=True, timestamp=None), key),
         Outcome.NAK, "timestamp_missing"),
        (encode_frame(dataclasses.replace(base, data="#1234|NZZ01")), Outcome.DUH, "unmapped_code"),
        (encode_frame(dataclasses.replace(base, xdata=(XData("K", ""),))), Outcome.RSP, "key_change"),
        (encode_frame(base), Outcome.ACK, "ok"),
        (encode_frame(dataclasses.replace(base, account=None)), Outcome.ACK, "ok"),  # account only in the data
        (encode_frame(dataclasses.replace(base, account=None, data="NPA01")), Outcome.NAK, "unknown_account"),
    ]
    for raw, outcome, reason in cases:
        verdict = core.assess(raw, NOW)
        assert (verdict.outcome, verdict.reason) == (outcome, reason), (raw, verdict.detail)
        assert (verdict.reply is None) == (outcome == Outcome.IGNORE)


def test_recent_messages_expire_and_are_bounded():
    recent = RecentMessages(window_s=10, per_account=2)
    recent.remember("A", 1, "first", now=0)
    assert recent.recall("A", 1, now=5) == "first"
    assert recent.recall("A", 1, now=11) is None  # a reboot later, the same sequence is a new alarm
    for n in range(3):
        recent.remember("A", n, n, now=20)
    assert recent.recall("A", 0, now=20) is None and recent.recall("A", 2, now=20) == 2
    recent.forget("A", 2)
    assert recent.recall("A", 2, now=20) is None
