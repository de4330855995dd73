"""``python -m simulators.snmp``: the simulator without the hub CLI."""
from __future__ import annotations

import argparse
import asyncio
import contextlib

from .cli import configure


def run() -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.snmp")
    configure(parser)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(args.main(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
