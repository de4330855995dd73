"""The register decoder on arbitrary reads: only RegisterValueError may escape.

Input bytes pick a shipped profile, a table, a start address and 16-bit words (big-endian, as on
the wire).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.modbus.profile import DEFAULT_PROFILE_DIR, Table, load_profile  # noqa: E402
from adapters.modbus.tracker import PanelTracker, RegisterValueError  # noqa: E402

# One tracker per shipped profile, forgotten before each input: building one per input (the
# profile's instances and their labels) took ~80% of the time.
_TRACKERS = [PanelTracker(load_profile(p)) for p in sorted(DEFAULT_PROFILE_DIR.glob("*.yaml"))]
_TABLES = list(Table)


def TestOneInput(data: bytes) -> None:
    if len(data) < 4:
        return
    tracker = _TRACKERS[data[0] % len(_TRACKERS)]
    tracker.forget()
    body = data[4:]
    for chunk in range(0, len(body), 64):  # several reads in a row, to exercise change detection
        words = [int.from_bytes(body[i:i + 2], "big") for i in range(chunk, min(chunk + 64, len(body)) - 1, 2)]
        table = _TABLES[data[1] % len(_TABLES)]
        start = int.from_bytes(data[2:4], "big") + chunk // 2
        if table.is_bits:
            words = [w & 1 for w in words]
        try:
            tracker.feed(table, start, words)
        except RegisterValueError:
            return


def seeds() -> dict[str, bytes]:
    words = lambda *values: b"".join(v.to_bytes(2, "big") for v in values)  # noqa: E731
    return {
        # profile 0 (by name order), holding registers from 0: panel word with alarm + fault, battery
        "panel-alarm": bytes([0, 0, 0, 0]) + words(0b11, 2730),
        "zones-from-100": bytes([0, 0, 0, 100]) + words(*range(32)) * 2,
        "points-enum": bytes([0, 0, 0, 200]) + words(1, 2, 3, 0, 7, 0xFFFF) * 4,
        "coils": bytes([1, 2, 0, 0]) + words(1, 0, 1, 1),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
