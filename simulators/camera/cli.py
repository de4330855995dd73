"""``campus-hub sim camera``: run simulated ONVIF cameras (and optionally a scenario)."""
from __future__ import annotations

import argparse
import asyncio
import sys

from simulators.camera.camera import HTTP_AUTH_SCHEMES, MISBEHAVIOURS, CameraConfig
from simulators.camera.scenario import ScenarioFileError, load_scenario, run_scenario
from simulators.camera.simulator import CameraSimulator, numbered_cameras

__all__ = ["configure", "main"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Simulated ONVIF cameras: device, media, events (PullPoint), PTZ, snapshot, WS-Discovery."
    parser.add_argument("--cameras", type=int, default=1, help="how many cameras to run (default 1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--base-port", type=int, default=8080,
                        help="HTTP port of the first camera; the others follow (0: ephemeral ports)")
    parser.add_argument("--username", default="admin", help="WS-UsernameToken user (default admin)")
    parser.add_argument("--password", default="admin", help="WS-UsernameToken password (default admin)")
    parser.add_argument("--clock-skew", type=float, default=0.0, help="camera clock offset in seconds")
    parser.add_argument("--utc-offset-hours", type=float, default=0.0,
                        help="the cameras' local time zone, hours east of UTC (8 for China), reported as POSIX TZ")
    parser.add_argument("--local-time-only", action="store_true",
                        help="report only local time in GetSystemDateAndTime, as some cameras do")
    parser.add_argument("--auth-window", type=float, default=60.0,
                        help="accepted distance of a token's Created from the camera clock, seconds")
    parser.add_argument("--snapshot-auth", choices=HTTP_AUTH_SCHEMES, default="digest",
                        help="HTTP authentication of the snapshot URL with the camera user (default digest)")
    parser.add_argument("--no-ptz", action="store_true", help="cameras without a PTZ service")
    parser.add_argument("--services-only", action="store_true",
                        help="refuse the deprecated GetCapabilities, like newer firmware (clients must use GetServices)")
    parser.add_argument("--unsubscribe-all", action="store_true",
                        help="misbehave like cameras whose Unsubscribe cancels every subscription")
    parser.add_argument("--misbehave", choices=MISBEHAVIOURS, default="none", help="answer every request badly")
    parser.add_argument("--discovery-port", type=int, default=None,
                        help="answer WS-Discovery probes on this UDP port (3702 for the standard one)")
    parser.add_argument("--multicast", action="store_true",
                        help="also join 239.255.255.250 for multicast probes (needs --discovery-port 3702)")
    parser.add_argument("--scenario", help="YAML scenario file (see docs/adapters/onvif.md)")
    parser.set_defaults(main=main)


def _configs(args: argparse.Namespace) -> list[CameraConfig]:
    return numbered_cameras(
        args.cameras, username=args.username, password=args.password, clock_skew=args.clock_skew,
        utc_offset_hours=args.utc_offset_hours, local_time_only=args.local_time_only, auth_window=args.auth_window,
        snapshot_auth=args.snapshot_auth, ptz=not args.no_ptz, legacy_capabilities=not args.services_only,
        unsubscribe_scope="all" if args.unsubscribe_all else "one",
    )


async def main(args: argparse.Namespace) -> int:
    try:
        steps = load_scenario(args.scenario) if args.scenario else []
    except ScenarioFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    sim = await CameraSimulator.start(
        _configs(args), host=args.host, base_port=args.base_port, discovery_port=args.discovery_port,
        multicast=args.multicast, echo=lambda line: print(line, flush=True),
    )
    for running in sim.cameras:
        running.camera.set_misbehaviour(args.misbehave)
    try:
        if steps:
            await run_scenario(sim.select, steps, lambda line: print(line, flush=True))
            print("scenario done; cameras keep running (Ctrl-C to stop)", flush=True)
        await asyncio.Event().wait()
    finally:
        await sim.stop()
    return 0
