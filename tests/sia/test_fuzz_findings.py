"""Inputs the fuzz campaign of issue 19 found, sent to a real receiver over TCP: each gets its NAK."""
from __future__ import annotations

from adapters.sia.crc import crc16_arc
from adapters.sia.frame import decode_frame

from .helpers import HEX_KEY, exchange, panel, start_receiver

# Verbatim from the issue (hex there): CRC and length are right, so the receiver must answer.
ENCRYPTED_BODY_WITH_SPACES = bytes.fromhex(
    "0a3631344130303336222a5349412d44435322303030314c3023414243445b30303030303030303030303030303030303030"
    "303030303030303030303020200d")
FIRST_DAY_OF_YEAR_ONE = bytes.fromhex(
    "0a3732373430303335225349412d44435322303030314c3023313233345b23313233347c4e424130315d5f30303a30303a30"
    "302c30312d30312d303030310d")


def _with_crc_and_length(content: bytes) -> bytes:
    return b"\n%04X%04X" % (crc16_arc(content), len(content)) + content + b"\r"


async def test_whitespace_inside_an_encrypted_body_gets_a_nak_for_decryption():
    receiver = await start_receiver([panel("enc-1", "ABCD", key=HEX_KEY, key_format="hex")])
    try:
        answer = decode_frame(await exchange(receiver.tcp, ENCRYPTED_BODY_WITH_SPACES))
        assert answer.id == "NAK"
        assert receiver.ctx.metrics.total("frames", reason="decrypt") == 1
        assert not receiver.ctx.events
    finally:
        await receiver.stop()


async def test_year_one_east_of_utc_and_year_9999_west_of_it_get_a_nak_for_their_time():
    receiver = await start_receiver([panel("east-1", "1234", device_timezone="Asia/Shanghai"),
                                     panel("west-1", "5678", device_timezone="America/Los_Angeles")])
    try:
        assert decode_frame(await exchange(receiver.tcp, FIRST_DAY_OF_YEAR_ONE)).id == "NAK"
        last_hour = _with_crc_and_length(b'"SIA-DCS"0002L0#5678[#5678|NBA01]_23:00:00,12-31-9999')
        assert decode_frame(await exchange(receiver.tcp, last_hour)).id == "NAK"
        assert receiver.ctx.metrics.total("frames", reason="timestamp") == 2
        assert not receiver.ctx.events
    finally:
        await receiver.stop()


async def test_an_out_of_range_time_is_accepted_when_the_account_does_not_check_times():
    receiver = await start_receiver([panel("east-1", "1234", device_timezone="Asia/Shanghai",
                                           check_timestamp=False)])
    try:
        assert decode_frame(await exchange(receiver.tcp, FIRST_DAY_OF_YEAR_ONE)).id == "ACK"
        event = await receiver.ctx.wait_for_event("intrusion.burglary")
        assert event.occurred_at.ToDatetime().year > 2000  # the receive time: year one is no usable time
    finally:
        await receiver.stop()
