"""Fuzz the device-profile loader: arbitrary text must give a ProfileError, never a crash."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.modbus.profile import ProfileError, parse_profile  # noqa: E402


def TestOneInput(data: bytes) -> None:
    try:
        parse_profile(data.decode("utf-8", errors="replace"), "fuzz.yaml")
    except ProfileError:
        pass


if __name__ == "__main__":
    import atheris

    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
