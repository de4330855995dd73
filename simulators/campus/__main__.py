"""``python -m simulators.campus SCENARIO``: the same as ``campus-hub simulate SCENARIO``."""
from __future__ import annotations

import argparse
import sys

from hub import runtime
from simulators.campus.cli import configure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.campus")
    configure(parser)
    args = parser.parse_args(argv)
    return runtime.run(lambda: args.main(args))


if __name__ == "__main__":
    sys.exit(main())
