"""``python -m simulators.camera``: the camera simulator without the hub CLI."""
from __future__ import annotations

import argparse

from hub import reactor as hub_reactor

if __name__ == "__main__":
    hub_reactor.install()
    from simulators.camera.cli import configure, run_on_reactor

    parser = argparse.ArgumentParser(prog="python -m simulators.camera")
    configure(parser)
    args = parser.parse_args()
    raise SystemExit(run_on_reactor(lambda: args.main(args)))
