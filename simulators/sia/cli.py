"""``campus-hub sim sia``: send alarms like a panel or a one-button alarm box would."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from simulators.sia.scenario import ScenarioFileError, load_scenario, run_scenario
from simulators.sia.transmitter import SiaTransmitter


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("SIA DC-09 transmitter simulator: sends SIA-DCS / Contact ID events and NULL link tests "
                          "to a receiver, waits for ACK and retries per DC-09.")
    where = parser.add_argument_group("receiver")
    where.add_argument("--host", default="127.0.0.1", help="receiver address (default 127.0.0.1)")
    where.add_argument("--port", type=int, default=55001, help="receiver port (default 55001)")
    where.add_argument("--udp", action="store_true", help="send over UDP instead of TCP")
    who = parser.add_argument_group("transmitter")
    who.add_argument("--account", required=True, help="account number, 3-16 hex digits")
    who.add_argument("--key", help="AES key (prefer --key-env)")
    who.add_argument("--key-env", help="environment variable holding the AES key")
    who.add_argument("--key-format", choices=("hex", "ascii"), default="hex",
                     help="key written as hex digits (default) or as the ASCII key string")
    receiver = who.add_mutually_exclusive_group()
    receiver.add_argument("--receiver-number", default="0",
                          help="Rrcvr header field (hex, default 0; pysiaalarm / Home Assistant need one)")
    receiver.add_argument("--no-receiver-number", dest="receiver_number", action="store_const", const=None,
                          help="omit the optional Rrcvr header field")
    who.add_argument("--prefix", default="0", help="Lpref line prefix (hex, default 0)")
    who.add_argument("--ack-timeout", type=float, default=20.0, help="seconds to wait for an answer (default 20)")
    who.add_argument("--attempts", type=int, default=4, help="sends per message before giving up (default 4)")
    who.add_argument("--no-resync", action="store_true", help="do not correct the clock from a NAK's timestamp")
    what = parser.add_argument_group("what to send (in this order)")
    what.add_argument("--event", action="append", default=[], metavar="CODE[:ZONE[:AREA]]",
                      help="a SIA event, e.g. PA:1 (panic zone 1); repeatable")
    what.add_argument("--contact-id", action="append", default=[], metavar="EVENT[:ZONE[:QUALIFIER]]",
                      help="a Contact ID event, e.g. 130:15 or 130:15:3 (restore); repeatable")
    what.add_argument("--null", action="store_true", help="send a NULL link test")
    what.add_argument("--scenario", help="YAML scenario file (see docs/adapters/sia.md)")
    what.add_argument("--repeat", type=int, default=1, help="repeat all of the above N times (default 1)")
    what.add_argument("--interval", type=float, default=1.0, help="seconds between repeats (default 1)")
    what.add_argument("--supervise", type=float, metavar="SECONDS",
                      help="afterwards, send a NULL link test every SECONDS until interrupted")
    bad = parser.add_argument_group("misbehaviour (for testing receivers)")
    bad.add_argument("--bad-crc", action="store_true", help="corrupt the CRC of every frame")
    bad.add_argument("--skew", type=float, default=0.0, metavar="SECONDS", help="run the clock this far off")
    bad.add_argument("--wrong-key", action="store_true", help="encrypt with a random key instead of --key")
    parser.set_defaults(main=main)


async def main(args: argparse.Namespace) -> int:
    key = args.key or (os.environ.get(args.key_env) if args.key_env else None)
    if args.key_env and not key:
        print(f"environment variable {args.key_env} is not set")
        return 2
    tx = await SiaTransmitter.start(
        args.host, args.port, account=args.account, key=key, key_format=args.key_format,
        transport="udp" if args.udp else "tcp", receiver=args.receiver_number, prefix=args.prefix,
        ack_timeout_s=args.ack_timeout, attempts=args.attempts, resync_clock=not args.no_resync,
        clock_skew_s=args.skew, bad_crc=args.bad_crc, wrong_key=args.wrong_key, log=print)
    try:
        steps = load_scenario(args.scenario) if args.scenario else []
    except ScenarioFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"SIA transmitter: account {tx.account}, {'encrypted' if key else 'plaintext'}, to {tx.where}")
    failures = 0
    try:
        for round_ in range(args.repeat):
            if round_:
                await asyncio.sleep(args.interval)
            deliveries = []
            for spec in args.event:
                code, zone, area = _sia(spec)
                deliveries.append(await tx.send_sia(code, zone, area=area))
            for spec in args.contact_id:
                event, zone, qualifier = _cid(spec)
                deliveries.append(await tx.send_contact_id(event, zone, qualifier=qualifier))
            if args.null:
                deliveries.append(await tx.send_null())
            deliveries += await run_scenario(tx, steps)
            failures += sum(not d.acknowledged for d in deliveries)
        while args.supervise:
            await asyncio.sleep(args.supervise)
            failures += not (await tx.send_null()).acknowledged
    finally:
        await tx.stop()
    print(f"done: {failures} message(s) not acknowledged")
    return 1 if failures else 0


def _sia(spec: str) -> tuple[str, int | str, str | None]:
    code, _, rest = spec.partition(":")
    zone, _, area = rest.partition(":")
    return code.upper(), int(zone) if zone.isascii() and zone.isdigit() else zone, area or None


def _cid(spec: str) -> tuple[int, int, str]:
    parts = spec.split(":")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0, parts[2] if len(parts) > 2 else "1"
