"""The device-profile loader on arbitrary text: a ProfileError (file:line problems), never a crash."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.modbus.profile import DEFAULT_PROFILE_DIR, ProfileError, parse_profile  # noqa: E402


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    try:
        parse_profile(data.decode("utf-8", errors="replace"), "fuzz.yaml")
    except ProfileError:
        pass


def seeds() -> dict[str, bytes]:
    shipped = {path.stem: path.read_bytes() for path in sorted(DEFAULT_PROFILE_DIR.glob("*.yaml"))}
    # issue 19: a first: of 0x and 3,600 hex digits (was a ValueError printing it)
    huge_first = shipped["generic"].replace(b"first: 1\n", b"first: 0x" + b"f" * 3600 + b"\n", 1)
    return {**shipped, "issue19-huge-first": huge_first}


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput, packages=("pydantic",))
