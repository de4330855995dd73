"""Fuzz the fire-panel simulator's request decoder: any request PDU decodes to a request or a
refusal (exception 01/03 for its function code), and nothing but a Modbus answer comes of it.

Run with atheris: ``python -m fuzz.fuzz_fire_panel_requests``.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.fire_panel.refusals import RefusedRequest, RefusingDecoder  # noqa: E402

# As the link and the simulator set it (adapters/modbus/link.py, simulators/fire_panel/server.py):
# pymodbus' own log of every bad frame took about half of each execution here.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


async def _no_hold() -> None:
    return None


_DECODER = RefusingDecoder(_no_hold)


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if not data:
        return
    decoded = _DECODER.decode(data)
    if decoded is None:
        raise AssertionError(f"no request and no refusal for {data.hex()}")
    if isinstance(decoded, RefusedRequest) and decoded.function_code != data[0] & 0x7F:
        raise AssertionError(f"refusal of {data.hex()} names function {decoded.function_code}")


def seeds() -> dict[str, bytes]:
    return {
        "read-holding-registers": bytes.fromhex("03000a0008"),
        "read-coils": bytes.fromhex("0100000010"),
        "write-single-register": bytes.fromhex("0600640001"),
        "issue13-count-out-of-range": bytes.fromhex("0300000000"),
        "issue13-unknown-function": bytes.fromhex("5a0102"),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("simulators.fire_panel", "pymodbus"))
