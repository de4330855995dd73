"""``python -m simulators.camera``: the camera simulator without the hub CLI."""
from __future__ import annotations

import argparse
import asyncio

from hub import reactor as hub_reactor


def run() -> int:
    hub_reactor.install()
    from twisted.internet import reactor

    from simulators.camera.cli import configure

    parser = argparse.ArgumentParser(prog="python -m simulators.camera")
    configure(parser)
    args = parser.parse_args()
    loop = asyncio.get_event_loop()
    try:
        return loop.run_until_complete(args.main(args))
    except KeyboardInterrupt:
        return 130
    finally:
        if reactor.running:
            reactor.stop()


if __name__ == "__main__":
    raise SystemExit(run())
