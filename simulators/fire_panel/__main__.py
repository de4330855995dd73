"""``python -m simulators.fire_panel``: the simulator without the hub's CLI."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from simulators.fire_panel.cli import configure


def run() -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.fire_panel")
    configure(parser)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(args.main(args))
    return 130


if __name__ == "__main__":
    sys.exit(run())
