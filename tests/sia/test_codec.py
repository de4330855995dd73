"""DC-09 frame codec: golden vectors, round trips, integrity checks, encryption."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from Crypto.Cipher import AES  # pycryptodome, pysiaalarm's AES: an independent implementation
from hypothesis import given, settings
from hypothesis import strategies as st
from pysiaalarm.event import SIAEvent

from adapters.sia.crc import crc16_arc, crc16_arc_python
from adapters.sia.crypto import PAD_ALPHABET, decrypt_body, encrypt_body, pad_length, parse_key
from adapters.sia.errors import (
    CrcMismatch,
    DecryptionError,
    FramingError,
    HeaderError,
    KeyFormatError,
    LengthMismatch,
    SiaError,
)
from adapters.sia.frame import (
    Frame, XData, decode_frame, encode_bare_frame, encode_frame, parse_envelope, parse_timestamp,
)
from .strategies import FIELD_TEXT, frames, keys

GOLDEN_ACK = b'\n1B990020"ACK"9876R579BDFL789ABC#12345A[]\r'
GOLDEN_NULL = b'\n28330015"NULL"0000R0L0#1234[]\r'


def test_crc16_arc_check_value():
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_arc(b"") == 0


@given(st.binary(max_size=300))
def test_native_crc_equals_the_python_reference(data):
    assert crc16_arc(data) == crc16_arc_python(data)


@given(st.text(FIELD_TEXT, max_size=80))
def test_crc_agrees_with_pysiaalarm(text):
    assert f"{crc16_arc(text.encode()):04X}" == SIAEvent._crc_calc(text)


def test_golden_ack_vector():
    frame = decode_frame(GOLDEN_ACK)
    assert frame == Frame(id="ACK", sequence=9876, account="12345A", receiver="579BDF", prefix="789ABC")
    assert encode_frame(frame) == GOLDEN_ACK


def test_golden_null_vector():
    frame = decode_frame(GOLDEN_NULL)
    assert frame == Frame(id="NULL", sequence=0, account="1234", receiver="0", prefix="0")
    assert encode_frame(frame) == GOLDEN_NULL


def test_sia_dcs_frame_with_xdata_and_timestamp():
    raw = encode_frame(Frame(
        id="SIA-DCS", sequence=12, account="A1B2", prefix="3", data="#A1B2|Nri1/PA01",
        xdata=(XData("X", "116.39E"), XData("Y", "39.91N")), timestamp=dt.datetime(2026, 3, 4, 5, 6, 7),
    ))
    body = raw[9:-1]
    assert body == b'"SIA-DCS"0012L3#A1B2[#A1B2|Nri1/PA01][X116.39E][Y39.91N]_05:06:07,03-04-2026'
    assert raw[5:9] == b"%04X" % len(body) and raw[1:5] == b"%04X" % crc16_arc(body)


@given(frames(encrypted=False))
def test_plain_frame_round_trip(frame):
    raw = encode_frame(frame)
    assert decode_frame(raw) == frame
    assert encode_frame(decode_frame(raw)) == raw


@given(frames(encrypted=True), keys)
def test_encrypted_frame_round_trip(frame, key):
    raw = encode_frame(frame, key)
    decoded = decode_frame(raw, key)
    assert decoded == dataclasses.replace(frame, pad=decoded.pad)
    assert 1 <= len(decoded.pad) <= 16 and set(decoded.pad) <= set(PAD_ALPHABET)
    assert encode_frame(decoded, key) == raw  # the pad is all that was random


@given(frames(encrypted=False))
def test_binary_crc_round_trip(frame):
    raw = encode_frame(frame, binary_crc=True)
    assert parse_envelope(raw).binary_crc
    assert decode_frame(raw) == frame


@given(st.binary(max_size=300))
def test_parser_raises_only_sia_error(data):
    for raw in (data, b"\n" + data + b"\r"):
        try:
            decode_frame(raw, b"K" * 16)
        except SiaError:
            pass


@given(frames(), keys, st.data())
def test_any_changed_content_byte_is_detected(frame, key, data):
    raw = bytearray(encode_frame(frame, key))
    index = data.draw(st.integers(10, len(raw) - 2))  # after the opening quote
    raw[index] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]))
    with pytest.raises(CrcMismatch):
        parse_envelope(bytes(raw))


@given(frames(encrypted=False), st.sampled_from(["ACK", "DUH", "RSP"]), st.booleans())
def test_bare_frames_are_the_bytes_of_the_equivalent_frame(frame, id_, binary_crc):
    bare = Frame(id_, frame.sequence, frame.account, frame.receiver, frame.prefix)
    assert encode_bare_frame(id_, frame.sequence, frame.account, frame.receiver, frame.prefix,
                             binary_crc=binary_crc) == encode_frame(bare, binary_crc=binary_crc)


@given(frames(encrypted=False), st.integers(1, 5))
def test_wrong_length_field_is_detected(frame, delta):
    raw = encode_frame(frame)
    stated = int(raw[5:9], 16) + delta
    with pytest.raises(LengthMismatch):
        parse_envelope(raw[:5] + b"%04X" % stated + raw[9:])


def framed(content: bytes) -> bytes:
    """Wrap content with a correct CRC and length, to test what lies past the integrity checks."""
    return b"\n%04X%04X" % (crc16_arc(content), len(content)) + content + b"\r"


def test_structural_errors():
    with pytest.raises(FramingError):
        parse_envelope(b'28330015"NULL"0000R0L0#1234[]\r')  # no LF
    with pytest.raises(FramingError):
        parse_envelope(GOLDEN_NULL[:-1])  # truncated: no CR
    with pytest.raises(HeaderError):
        parse_envelope(framed(b'"NULL"0000R0L0#1234'))  # no '['
    with pytest.raises(HeaderError):
        parse_envelope(framed(b'"NULL"12R0L0#1234[]'))  # sequence is not 4 digits
    for body in (b"x]junk", b"x", b"x][]", b"x]_10:00:00", b"a[b]"):
        with pytest.raises(FramingError):
            decode_frame(framed(b'"SIA-DCS"0001L0[' + body))


@given(frames(encrypted=True), keys, keys)
def test_wrong_key_is_a_decryption_error(frame, key, other):
    if key == other:
        return
    with pytest.raises(DecryptionError):
        decode_frame(encode_frame(frame, key), other)


def test_encrypted_frame_without_key_is_a_decryption_error():
    raw = encode_frame(Frame("NULL", 1, account="123", timestamp=dt.datetime(2026, 1, 1), encrypted=True), b"k" * 16)
    with pytest.raises(DecryptionError):
        decode_frame(raw)


@given(st.text(FIELD_TEXT, max_size=64), keys)
def test_encryption_matches_pycryptodome(body, key):
    plain = body.encode()
    pad = bytes(PAD_ALPHABET[i % len(PAD_ALPHABET)] for i in range(pad_length(len(plain))))
    hex_text = encrypt_body(plain, key, pad)
    assert hex_text == hex_text.upper()
    clear = AES.new(key, AES.MODE_CBC, bytes(16)).decrypt(bytes.fromhex(hex_text))
    assert clear == pad + b"|" + plain and len(clear) % 16 == 0
    assert decrypt_body(hex_text, key) == (pad, plain)


def test_pad_rules():
    assert pad_length(15) == 16  # '|' + 15 bytes is aligned already: a whole block of pad
    assert [pad_length(n) % 16 for n in range(40)] == [(16 - (n + 1) % 16) % 16 for n in range(40)]
    assert not set(PAD_ALPHABET) & set(b"|[]")


def test_key_formats():
    assert parse_key("000102030405060708090A0B0C0D0E0F", "hex") == bytes(range(16))
    assert parse_key("0123456789abcdef", "ascii") == b"0123456789abcdef"
    assert len(parse_key("A" * 64, "hex")) == 32 and len(parse_key("a" * 24, "ascii")) == 24
    for text, key_format, message in [
        ("0123456789abcdef", "hex", "32, 48 or 64 hex digits"),
        ("Z" * 32, "hex", "only the digits"),
        ("short", "ascii", "16, 24 or 32 characters"),
        ("é" * 16, "ascii", "only ASCII"),
        ("0" * 32, "base64", "unknown key format"),
    ]:
        with pytest.raises(KeyFormatError, match=message):
            parse_key(text, key_format)


@settings(max_examples=50)
@given(st.text(max_size=25))
def test_timestamp_parser_raises_only_framing_error(text):
    try:
        parse_timestamp(text)
    except FramingError:
        pass


def test_timestamp_values():
    assert parse_timestamp("23:59:58,12-31-2026") == dt.datetime(2026, 12, 31, 23, 59, 58)
    for bad in ("24:00:00,01-01-2026", "10:00:00,02-30-2026", "10:00:00,13-01-2026"):
        with pytest.raises(FramingError):
            parse_timestamp(bad)


@given(st.text(st.sampled_from('"*ACKNULSIA-DCS0123456789RL#[]_ABCDEFNone|'), max_size=60))
def test_an_unreadable_header_is_a_header_error_that_names_what_is_wrong(content):
    """With CRC and length right, any content parses or raises HeaderError saying what is wrong."""
    raw = b"\n%04X%04X" % (crc16_arc(content.encode()), len(content)) + content.encode() + b"\r"
    try:
        parse_envelope(raw)
    except HeaderError as exc:
        assert str(exc).startswith("unreadable header: ") and len(str(exc)) > len("unreadable header: ")
    except SiaError:
        pass  # too short to be a frame
