"""``campus-hub sim snmp``: run simulated switches and UPSes, optionally driven by a scenario."""
from __future__ import annotations

import argparse
import asyncio
import pathlib

from adapters.snmp.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS

from .agent import SnmpSimulator, V3User
from .scenario import ScenarioFileError, build_devices, fleet, load_scenario, run_steps


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Simulated SNMP switches (IF-MIB, BRIDGE/Q-BRIDGE forwarding tables) and UPSes "
                          "(UPS-MIB) on one UDP port, each device on a loopback address of its own.")
    parser.add_argument("--port", type=int, default=1161, help="UDP port every device answers on (0: any free)")
    parser.add_argument("--first-address", default="127.0.1.1", help="loopback address of the first device")
    parser.add_argument("--switches", type=int, default=2, help="generated switches (ignored with --scenario devices)")
    parser.add_argument("--ports", type=int, default=24, help="ports per generated switch")
    parser.add_argument("--macs-per-port", type=int, default=1, help="terminals learned per port at start")
    parser.add_argument("--upses", type=int, default=1, help="generated UPSes")
    parser.add_argument("--first-index", type=int, default=1,
                        help="number of the first generated device (sw-0001...): shard a fleet over processes")
    parser.add_argument("--scenario", type=pathlib.Path, help="YAML scenario (devices and steps), see docs")
    parser.add_argument("--trap-target", type=_host_port, action="append", default=[],
                        help="HOST:PORT receiving traps (repeatable)")
    parser.add_argument("--trap-version", choices=("v1", "v2c", "v3"), default="v2c")
    parser.add_argument("--trap-community", default=None, help="community in v1/v2c traps (default: the device's)")
    parser.add_argument("--v3-user", default="campushub", help="SNMPv3 user (agent and v3 traps)")
    parser.add_argument("--v3-auth-key", default="", help="SNMPv3 auth passphrase (empty: noAuth)")
    parser.add_argument("--v3-priv-key", default="", help="SNMPv3 privacy passphrase (empty: noPriv)")
    parser.add_argument("--v3-auth-protocol", choices=sorted(AUTH_PROTOCOLS), default="sha256")
    parser.add_argument("--v3-priv-protocol", choices=sorted(PRIV_PROTOCOLS), default="aes")
    parser.set_defaults(main=main)


async def main(args: argparse.Namespace) -> int:
    steps = []
    specs = fleet(args.switches, args.upses, ports=args.ports, macs_per_port=args.macs_per_port,
                  first_index=args.first_index)
    if args.scenario:
        try:
            scenario = load_scenario(args.scenario.read_text(), str(args.scenario))
        except OSError as exc:
            print(f"{args.scenario}: {exc}")
            return 2
        except ScenarioFileError as exc:
            print(exc)
            return 2
        specs = scenario.devices or specs
        steps = scenario.steps
    user = V3User(args.v3_user, args.v3_auth_key, args.v3_priv_key, args.v3_auth_protocol, args.v3_priv_protocol)
    devices = build_devices(specs, args.first_address)
    sim = await SnmpSimulator.start(devices, host_port=args.port, trap_targets=args.trap_target,
                                    trap_version=args.trap_version, trap_community=args.trap_community,
                                    v3_user=user, say=lambda line: print(line, flush=True))
    for device in devices:
        kind = "UPS" if device.ups else f"switch, {len(device.ports)} ports, {len(device.fdb)} MACs"
        print(f"  {device.name}: {device.address}:{sim.port} community {device.community!r} ({kind}), "
              f"engine id {device.engine_id.hex()}", flush=True)
    try:
        await run_steps(sim, steps)
        if steps:
            print("scenario done; still serving (Ctrl-C stops)", flush=True)
        await asyncio.Event().wait()
    finally:
        await sim.stop()
    return 0
