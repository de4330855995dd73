"""``python -m simulators.sia ...``: the same simulator without the hub CLI."""
from __future__ import annotations

import argparse
import asyncio
import sys

from simulators.sia.cli import configure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.sia")
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(args.main(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
