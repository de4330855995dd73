"""Run the fuzz targets on hypothesis-generated input so CI exercises them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

FUZZ = Path(__file__).parents[2] / "fuzz"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, FUZZ / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TRACKER = load("fuzz_modbus_tracker")
PROFILE = load("fuzz_modbus_profile")
REQUESTS = load("fuzz_fire_panel_requests")
SAMPLE_PROFILE = (Path(__file__).parents[2] / "config" / "profiles" / "generic.yaml").read_bytes()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_fuzz_tracker(data):
    TRACKER.TestOneInput(data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_profile_loader(data):
    PROFILE.TestOneInput(data)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SAMPLE_PROFILE)), st.binary(max_size=8))
def test_fuzz_profile_loader_mutations(position, insert):
    """Mutations of a real profile reach deeper into validation than random bytes."""
    PROFILE.TestOneInput(SAMPLE_PROFILE[:position] + insert + SAMPLE_PROFILE[position + len(insert):])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=40))
def test_fuzz_fire_panel_requests(data):
    """Every request PDU the simulator gets is answered as Modbus says (see refusals.py)."""
    REQUESTS.TestOneInput(data)


PAIRING = load("fuzz_modbus_pairing")


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_answer_pairing(data):
    PAIRING.TestOneInput(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 1), st.integers(1, 4), st.integers(0, 255), st.integers(1, 40), st.binary(max_size=40))
def test_fuzz_answer_pairing_on_well_formed_frames(framer, function, unit, count, payload):
    """Framed answers (right length and CRC) reach the pairing logic that random bytes rarely do."""
    from pymodbus.framer import FramerRTU, FramerSocket

    body = bytes([function, min(len(payload), 255)]) + payload
    frame = (FramerRTU(None).encode(body, unit, 0) if framer else FramerSocket(None).encode(body, unit, 7))
    PAIRING.TestOneInput(bytes([framer, function - 1, unit, function - 1, count, count]) + frame)
