"""``campus-hub sim fire-panel``: serve simulated fire panels over Modbus TCP.

Examples::

    campus-hub sim fire-panel --profile notifier-gw --port 5020
    campus-hub sim fire-panel --panels 10 --units 1-4 --port 5020 --framer rtu-over-tcp
    campus-hub sim fire-panel --scenario config/examples/fire-panel-scenario.yaml
    campus-hub sim fire-panel --interactive        # then type: fire fp1 zone=3
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.modbus.profile import ProfileError, resolve_profile
from simulators.fire_panel.panel import ScenarioError
from simulators.fire_panel.scenario import ScenarioFileError, apply_step, load_scenario, parse_command, run_steps
from simulators.fire_panel.server import FRAMERS, EndpointSpec, FirePanelSimulator, PanelSpec

__all__ = ["configure", "main"]


def _units(text: str) -> list[int]:
    units: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        try:
            units.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"unit ids look like 1 or 1-4 or 1,3,5; got {text!r}") from None
    if not units or not all(1 <= u <= 247 for u in units):
        raise argparse.ArgumentTypeError(f"unit ids must be 1..247, got {text!r}")
    return units


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Simulated Modbus fire-alarm panels driven by a scenario or by typed commands."
    parser.add_argument("--scenario", help="scenario YAML (endpoints and timed steps); see docs/adapters/modbus.md")
    parser.add_argument("--profile", default="generic", help="profile name or path for panels from the flags")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5020, help="first TCP port; 0 picks free ports (default 5020)")
    parser.add_argument("--panels", type=int, default=1, help="number of endpoints (consecutive ports)")
    parser.add_argument("--units", type=_units, default=[1], help="unit ids behind each endpoint, e.g. 1-4")
    parser.add_argument("--framer", choices=sorted(FRAMERS), default="tcp", help="Modbus TCP or RTU over TCP")
    parser.add_argument("--interactive", action="store_true", help="read commands from stdin: fire fp1 zone=3")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    parser.set_defaults(main=main)


def _endpoints_from_flags(args: argparse.Namespace) -> list[EndpointSpec]:
    profile = resolve_profile(args.profile)
    endpoints = []
    for i in range(args.panels):
        names = [f"fp{i + 1}" if len(args.units) == 1 else f"fp{i + 1}u{u}" for u in args.units]
        panels = [PanelSpec(name, profile, unit) for name, unit in zip(names, args.units)]
        endpoints.append(EndpointSpec(panels, port=args.port + i if args.port else 0, framer=args.framer))
    return endpoints


async def _interactive(sim: FirePanelSimulator) -> None:
    loop = asyncio.get_running_loop()
    sim.say("commands: fire|fault|raise|clear|reset|ac_loss|ac_restore|exception|converter_drop|silent|answer"
            "|answer_fault|stop|restart <panel> [zone=N] [point=N] [loop=N] [event=fire.x] [code=N] [seconds=S] [fault=short|wrong_unit]; 'state <panel>'")
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        line = line.strip()
        if not line:
            continue
        try:
            if line.startswith("state"):
                name = line.split()[1] if len(line.split()) > 1 else next(iter(sim.panels))
                sim.say(f"{name}: " + (", ".join(sim.panel(name).active_events()) or "all normal"))
                continue
            sim.say(await apply_step(sim, parse_command(line)))
        except (ScenarioError, KeyError, IndexError) as exc:
            sim.say(f"? {exc}")


async def main(args: argparse.Namespace) -> int:
    def say(line: str) -> None:
        print(f"fire-panel: {line}", flush=True)

    try:
        scenario, endpoints = load_scenario(args.scenario) if args.scenario else (None, [])
        if not endpoints:
            endpoints = _endpoints_from_flags(args)
    except (ScenarioFileError, ProfileError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        sim = await FirePanelSimulator.start(endpoints, host=args.host, say=say)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"fire-panel: cannot start: {exc}", file=sys.stderr)
        return 1
    tasks = []
    if scenario and scenario.steps:
        tasks.append(asyncio.ensure_future(run_steps(sim, scenario.steps)))
    if args.interactive:
        tasks.append(asyncio.ensure_future(_interactive(sim)))
    try:
        await asyncio.sleep(args.duration) if args.duration else await asyncio.Event().wait()
    finally:
        for task in tasks:
            task.cancel()
        await sim.stop()
    return 0
