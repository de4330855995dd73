"""Run the atheris fuzz target under hypothesis so CI exercises it."""
from __future__ import annotations

import datetime as dt
import importlib.util
import pathlib

from hypothesis import given
from hypothesis import strategies as st

from adapters.sia.frame import Frame, encode_frame

_PATH = pathlib.Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_sia.py"
_spec = importlib.util.spec_from_file_location("fuzz_sia", _PATH)
fuzz_sia = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz_sia)

_SEEDS = [
    encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|Nri1/BA01")),
    encode_frame(Frame("ADM-CID", 2, account="5678", data="#5678|1130 01 015")),
    encode_frame(Frame("SIA-DCS", 3, account="ABCD", data="#ABCD|NPA01", encrypted=True,
                       timestamp=dt.datetime(2026, 1, 1)), b"0123456789abcdef"),
]


@given(st.binary(max_size=600))
def test_fuzz_target_on_random_bytes(data):
    fuzz_sia.TestOneInput(data)


@given(st.sampled_from(_SEEDS), st.binary(max_size=8), st.data(), st.binary(max_size=8))
def test_fuzz_target_on_mutated_frames(seed, prefix, data, insert):
    cut = data.draw(st.integers(0, len(seed)))
    fuzz_sia.TestOneInput(prefix + seed[:cut] + insert + seed[cut:])


@given(st.sampled_from(_SEEDS), st.data())
def test_fuzz_target_on_frames_with_a_changed_byte_and_fixed_crc(seed, data):
    """Past the CRC check: corrupt a byte and repair CRC and length, as a buggy panel would."""
    from adapters.sia.crc import crc16_arc

    content = bytearray(seed[9:-1])
    content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    fuzz_sia.TestOneInput(b"\n%04X%04X" % (crc16_arc(content), len(content)) + content + b"\r")
