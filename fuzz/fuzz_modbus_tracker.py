"""Fuzz the register decoder with arbitrary reads: only RegisterValueError may escape.

Input bytes pick a shipped profile, a table, a start address and 16-bit words (big-endian, as on
the wire). Run with atheris: ``python fuzz/fuzz_modbus_tracker.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.modbus.profile import Table, load_profile  # noqa: E402
from adapters.modbus.tracker import PanelTracker, RegisterValueError  # noqa: E402

_PROFILES = [load_profile(p) for p in sorted((Path(__file__).resolve().parents[1] / "config" / "profiles").glob("*.yaml"))]
_TABLES = list(Table)


def TestOneInput(data: bytes) -> None:
    if len(data) < 4:
        return
    tracker = PanelTracker(_PROFILES[data[0] % len(_PROFILES)])
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


if __name__ == "__main__":
    import atheris

    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
