"""``campus-hub simulate SCENARIO``: every simulated device of a scenario, and the hub config for them.

    campus-hub simulate one-school                  # writes hub.yaml, waits for the hub, plays the timeline
    campus-hub run -c hub.yaml                      # in another terminal
    campus-hub simulate county --write-config county-hub.yaml --noise-rate 50
"""
from __future__ import annotations

import argparse
import asyncio
import pathlib
import socket
import sys

from simulators.campus.campus import FAMILIES, SimulatedCampus
from simulators.campus.credentials import Credentials
from simulators.campus.hubconfig import HubOptions, secrets_dir, write_hub_config
from simulators.campus.noise import Noise
from simulators.campus.past import journal_past_if_new, leave_unrepaired
from simulators.campus.scenario import ScenarioError, load_scenario
from simulators.campus.timeline import free_port, play_timeline

__all__ = ["configure", "main"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Run every simulated device of a campus scenario (fire panels, cameras, switches, UPSes, "
                          "one-button alarms, intrusion panels), write the matching hub config, then play the "
                          "scenario's timeline.")
    parser.add_argument("scenario", help="scenario file, or a shipped one: one-school, county")
    parser.add_argument("--check", action="store_true", help="only validate the scenario (problems as file:line)")
    config = parser.add_argument_group("the hub config it writes")
    config.add_argument("--write-config", default="hub.yaml", metavar="FILE", help="default hub.yaml")
    config.add_argument("--no-config", action="store_true", help="write no config (the hub is set up already)")
    config.add_argument("--grpc", default="127.0.0.1:50051", metavar="HOST:PORT", help="hub gRPC address to write")
    config.add_argument("--metrics", default="127.0.0.1:9464", metavar="HOST:PORT",
                        help="hub metrics address to write ('' for none)")
    config.add_argument("--journal", default=None, metavar="PATH",
                        help="journal path to write (default ./data/<config name>-journal.db, next to the config)")
    where = parser.add_argument_group("where the devices are")
    where.add_argument("--host", default="127.0.0.1", help="loopback address the simulators use")
    where.add_argument("--sia-port", type=int, default=0, help="the hub's SIA receiver port (0: a free one)")
    where.add_argument("--trap-port", type=int, default=0, help="the hub's SNMP trap port (0: a free one)")
    where.add_argument("--first-port", type=int, default=0, metavar="PORT",
                       help="fixed device ports from PORT on (fire panel endpoints, cameras, SNMP agent), so the "
                            "written config stays right across restarts (default: free ports)")
    where.add_argument("--only", action="append", choices=FAMILIES, help="simulate only these families")
    play = parser.add_argument_group("playing")
    play.add_argument("--wait", type=float, default=600.0, metavar="SECONDS",
                      help="wait this long for the hub to reach every device before the timeline (default 600)")
    play.add_argument("--no-wait", action="store_true", help="play the timeline at once")
    play.add_argument("--noise-rate", type=float, default=None, metavar="PER_SECOND",
                      help="background events per second (default: the scenario's)")
    play.add_argument("--repeat", type=int, default=1, metavar="N",
                      help="play the timeline N times (0: until stopped), --pause seconds apart (default 1)")
    play.add_argument("--pause", type=float, default=10.0, metavar="SECONDS",
                      help="between repeats of the timeline (default 10)")
    play.add_argument("--duration", type=float, default=0, metavar="SECONDS",
                      help="stop this long after the timeline started (0: run until Ctrl-C)")
    play.add_argument("--no-history", action="store_true",
                      help="neither journal the scenario's history (its history: section) into a new journal nor "
                           "keep its unrepaired faults")
    play.add_argument("--verbose", action="store_true", help="also print the simulators' own lines")
    parser.set_defaults(main=main)


def say(line: str) -> None:
    print(line, flush=True)


async def main(args: argparse.Namespace) -> int:
    try:
        plan = load_scenario(args.scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.scenario}: not started; fix the problems above", file=sys.stderr)
        return 2
    if args.check:
        counts = ", ".join(f"{n} {family}" for family, n in plan.count_by_family().items())
        say(f"{plan.source}: OK ({len(plan.schools)} schools, {len(plan.devices)} devices: {counts}; "
            f"{len(plan.timeline)} timeline steps)")
        return 0
    sia_port = args.sia_port or free_port(socket.SOCK_STREAM, args.host)
    trap_port = args.trap_port or free_port(socket.SOCK_DGRAM, args.host)
    credentials = Credentials.create() if args.no_config else Credentials.load_or_create(secrets_dir(args.write_config))
    campus = await SimulatedCampus.start(plan, sia_port=sia_port, trap_port=trap_port, host=args.host, say=say,
                                         detail=say if args.verbose else None,
                                         families=tuple(args.only or FAMILIES), first_port=args.first_port,
                                         credentials=credentials)
    with_history = plan.scenario.history is not None and not args.no_history
    try:
        if with_history:
            await leave_unrepaired(campus, say)
        _summary(campus)
        if not args.no_config:
            config_path = pathlib.Path(args.write_config)
            journal = args.journal or f"./data/{config_path.stem}-journal.db"
            token = write_hub_config(campus, config_path, HubOptions(args.grpc, args.metrics or None, journal))
            say(f"wrote {config_path} (secrets in {config_path.stem}.secrets/); start the hub with:\n"
                f"    campus-hub run -c {config_path}\n"
                f"subscriber token: {token}\n"
                f"    campus-hub tail --target {args.grpc} --token {token}")
            if with_history:
                await _journal_history(plan, config_path)
        if not args.no_wait:
            say("waiting for the hub to reach every device ...")
            if await campus.wait_for_hub(args.wait):
                say("the hub reaches every device")
        noise = Noise(campus, plan.scenario.noise, args.noise_rate)
        noise_task = asyncio.ensure_future(noise.run())
        if noise.rate:
            say(f"background noise: {noise.rate:g} events/s ({', '.join(plan.scenario.noise.kinds)})")
        say(f"timeline: {len(plan.timeline)} steps")
        started = asyncio.get_running_loop().time()
        played = 0
        while True:
            await play_timeline(campus, plan.timeline, say)
            played += 1
            if args.repeat and played >= args.repeat:
                break
            await asyncio.sleep(args.pause)
        say("timeline done; devices keep running" + (" (Ctrl-C stops)" if not args.duration else ""))
        try:
            if args.duration:
                await asyncio.sleep(max(0.0, started + args.duration - asyncio.get_running_loop().time()))
            else:
                await asyncio.Event().wait()
        finally:
            noise_task.cancel()
            await asyncio.gather(noise_task, return_exceptions=True)
            if noise.played:
                say("background events played: " + ", ".join(f"{k} {n}" for k, n in sorted(noise.played.items())))
    finally:
        await campus.stop()
    return 0


async def _journal_history(plan, config_path: pathlib.Path) -> None:
    """The scenario's past into the journal the written config names, if that journal is new."""
    from hub import config as hub_config
    from hub.cli import logs
    from hub.cli.runtime import settings_from_config

    logs.configure("error")  # (the ledger's own log lines while it walks through the history)
    await journal_past_if_new(plan, settings_from_config(hub_config.load(config_path)), say)


def _summary(campus: SimulatedCampus) -> None:
    plan = campus.plan
    say(f"scenario {plan.scenario.name or plan.source}: {len(plan.schools)} schools, {len(plan.devices)} devices")
    if plan.scenario.description:
        say(f"  ({plan.scenario.description})")
    kinds = {"modbus": "fire panels (Modbus TCP)", "onvif": "cameras (ONVIF)", "snmp": "switches and UPSes (SNMP)",
             "sia": "alarm transmitters (SIA DC-09)"}
    for family, count in plan.count_by_family().items():
        if family in campus.missing:
            say(f"  {count:5d} {kinds[family]}: NOT simulated ({campus.missing[family]})")
            continue
        if family == "snmp":
            where = f"on udp port {campus.snmp.port} at 127.0.1.x, traps to {campus.host}:{campus.trap_port}"
        elif family == "sia":
            where = f"sending to the hub at {campus.host}:{campus.sia_port}"
        else:
            where = f"on {_ports(campus, family)}"
        say(f"  {count:5d} {kinds[family]} {where}")


def _ports(campus: SimulatedCampus, family: str) -> str:
    ports = sorted({campus.endpoint_of(d)["port"] for d in campus.devices(family)})
    if not ports:
        return "-"
    return f"{campus.host}:{ports[0]}" + (f"..{ports[-1]} ({len(ports)} ports)" if len(ports) > 1 else "")
