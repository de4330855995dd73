"""Run the atheris fuzz target under hypothesis so CI exercises it."""
from __future__ import annotations

import importlib.util
import pathlib

from hypothesis import given
from hypothesis import strategies as st

from adapters.sia.frame import Frame, encode_frame

_PATH = pathlib.Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_sia.py"
_spec = importlib.util.spec_from_file_location("fuzz_sia", _PATH)
fuzz_sia = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz_sia)

_SEED = encode_frame(Frame("SIA-DCS", 1, account="1234", data="#1234|Nri1/BA01"))


@given(st.binary(max_size=600))
def test_fuzz_target_on_random_bytes(data):
    fuzz_sia.TestOneInput(data)


@given(st.binary(max_size=8), st.integers(0, len(_SEED)), st.binary(max_size=8))
def test_fuzz_target_on_mutated_frames(prefix, cut, insert):
    fuzz_sia.TestOneInput(prefix + _SEED[:cut] + insert + _SEED[cut:])
