"""campus-hub: the command line.

  campus-hub run -c hub.yaml        run the hub
  campus-hub check hub.yaml         validate a config and report every problem
  campus-hub tail ...               subscribe from the terminal
  campus-hub devices ...            table of devices and their state
  campus-hub alarms ...             table of alarms (retained, or --state ...)
  campus-hub alarm ack ID --revision N    acknowledge an alarm as you saw it
  campus-hub alarm assign|comment|shelve|close ID ...    the rest of an alarm's handling
  campus-hub audit                  every alarm and panel command given, accepted or refused
  campus-hub panel reset DEVICE     a fire panel's reset / silence / acknowledge (supervisors)
  campus-hub report connectivity|compliance    联网率/在线率 and test compliance (table, csv, xlsx)
  campus-hub ledger list|register|move|comment|photo|history|supervise|stats   the hazard ledger (隐患台账)
  campus-hub demo                   a hub on a simulated campus, events shown live
  campus-hub simulate SCENARIO      run a simulated campus and write the hub config for it
  campus-hub sim NAME ...           run a device simulator (sia, fire-panel, camera, snmp)
  campus-hub discover onvif ...     find devices on the network
  campus-hub hash-token             make a subscriber token and its sha256
  campus-hub hash-password          hash an operator's console password (argon2)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from hub.cli import _console
from hub.events import CATEGORY_CHOICES, SEVERITY_CHOICES, parse_category, parse_severity

DEFAULT_TARGET = "127.0.0.1:50051"
ALARM_STATE_CHOICES = ("normal", "unacknowledged", "acknowledged", "returned_unacknowledged", "latched_unacknowledged",
                       "latched_acknowledged", "shelved", "suppressed_by_design", "out_of_service")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="campus-hub", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the hub from a config file")
    run.add_argument("-c", "--config", required=True, metavar="FILE", help="hub config (YAML)")
    run.set_defaults(handler=cmd_run)

    check = commands.add_parser("check", help="validate a config file; every problem as file:line")
    check.add_argument("file")
    check.set_defaults(handler=cmd_check)

    tail = commands.add_parser("tail", help="subscribe to a hub's events from the terminal")
    _client_arguments(tail)
    tail.add_argument("--region", action="append", default=[], metavar="PREFIX",
                      help="GB/T 2260 prefix: 14, 1408, 140802 (repeatable)")
    tail.add_argument("--school", action="append", default=[], metavar="ID")
    tail.add_argument("--category", action="append", default=[], choices=CATEGORY_CHOICES)
    tail.add_argument("--min-severity", choices=SEVERITY_CHOICES)
    tail.add_argument("--type", action="append", default=[], metavar="PREFIX", help="e.g. fire. or panic.alarm")
    tail.add_argument("--device", action="append", default=[], metavar="ID")
    start = tail.add_mutually_exclusive_group()
    start.add_argument("--from-earliest", action="store_true", help="replay everything still retained")
    start.add_argument("--after", type=int, metavar="SEQ", help="resume after this sequence")
    tail.add_argument("--count", type=int, metavar="N", help="stop after N events")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.set_defaults(handler=cmd_tail)

    devices = commands.add_parser("devices", help="table of a hub's devices and their state")
    _client_arguments(devices)
    devices.add_argument("--json", action="store_true")
    devices.set_defaults(handler=cmd_devices)

    alarms = commands.add_parser("alarms", help="table of a hub's alarms, most urgent first")
    _client_arguments(alarms)
    alarms.add_argument("--state", action="append", default=[], choices=ALARM_STATE_CHOICES,
                        help="only alarms in this state (repeatable; default: every retained alarm)")
    alarms.add_argument("--priority", action="append", type=int, default=[], choices=range(1, 5))
    alarms.add_argument("--json", action="store_true")
    alarms.add_argument("--watch", action="store_true",
                        help="live: the retained alarms, then a line per change until Ctrl-C")
    alarms.add_argument("--count", type=int, default=0, help="with --watch: stop after this many changes")
    alarms.set_defaults(handler=cmd_alarms)

    alarm = commands.add_parser("alarm", help="act on one alarm: ack, comment, assign, shelve, close")
    actions = alarm.add_subparsers(dest="action", metavar="ACTION", required=True)
    ack = actions.add_parser("ack", help="acknowledge an alarm at the revision you saw")
    ack.add_argument("alarm_id")
    ack.add_argument("--revision", type=int, required=True, help="the alarm's revision as you saw it")
    ack.add_argument("--force", action="store_true", help="supervisors: whatever revision it is at now")
    ack.add_argument("--comment", default="")
    comment = actions.add_parser("comment", help="add a comment to an alarm")
    comment.add_argument("alarm_id")
    comment.add_argument("text")
    assign = actions.add_parser("assign", help="say who handles an alarm")
    assign.add_argument("alarm_id")
    assign.add_argument("assignee")
    shelve = actions.add_parser("shelve", help="shelve an alarm for a while (at most its class's max_shelve)")
    shelve.add_argument("alarm_id")
    shelve.add_argument("--for", dest="duration", required=True, metavar="DURATION", help='e.g. "30m", "2h"')
    shelve.add_argument("--one-shot", action="store_true", help="also end when the alarm goes inactive")
    close = actions.add_parser("close", help="close an inactive, acknowledged alarm with what it was")
    close.add_argument("alarm_id")
    close.add_argument("--disposition", required=True, choices=("real", "false", "test", "technical"))
    close.add_argument("--force", action="store_true", help="supervisors: close an active or unacknowledged alarm")
    for action in (ack, comment, assign, shelve, close):
        _client_arguments(action)
        action.add_argument("--json", action="store_true")
        action.set_defaults(handler=cmd_alarm)

    from hub.cli import _alarm_reports
    _alarm_reports.add_commands(commands, _client_arguments)

    terminals = commands.add_parser("terminals", help="terminal MAC inventory: which MAC is on which switch port")
    _client_arguments(terminals)
    terminals.add_argument("--switch", action="append", default=[], metavar="DEVICE_ID")
    terminals.add_argument("--json", action="store_true")
    terminals.set_defaults(handler=cmd_terminals)

    from hub.cli import _reports
    _reports.add_commands(commands, _client_arguments)

    from hub.cli import _panel
    _panel.add_commands(commands, _client_arguments)

    demo = commands.add_parser("demo", help="run a hub on a simulated campus and show its events live")
    demo.add_argument("--grpc", default=DEFAULT_TARGET, metavar="HOST:PORT", help=f"default {DEFAULT_TARGET}")
    demo.add_argument("--metrics", default="127.0.0.1:9464", metavar="HOST:PORT")
    demo.add_argument("--console", default="127.0.0.1:8080", metavar="HOST:PORT",
                      help="the operator web console (default 127.0.0.1:8080; 'off': none)")
    demo.add_argument("--data", default=None, metavar="DIR", help="journal directory (default: a temporary one)")
    demo.add_argument("--scenario", default="one-school", metavar="SCENARIO",
                      help="campus scenario file or shipped name (default one-school)")
    demo.add_argument("--rate", type=float, default=None,
                      help="background events per second (default: the scenario's; --synthetic: 2)")
    demo.add_argument("--only", action="append", choices=("modbus", "onvif", "snmp", "sia"),
                      help="simulate only these protocol families (repeatable)")
    demo.add_argument("--synthetic", action="store_true",
                      help="the synthetic adapter instead of simulated devices (no device protocol on the wire)")
    demo.add_argument("--duration", type=float, default=None, metavar="SECONDS", help="stop after this long")
    demo.set_defaults(handler=cmd_demo)

    # its own arguments are parsed in cmd_simulate, so other commands do not import the campus simulator
    simulate = commands.add_parser("simulate", add_help=False,
                                   help="run every simulated device of a campus scenario; write the hub config")
    simulate.add_argument("-h", "--help", action="store_true")
    simulate.add_argument("rest", nargs=argparse.REMAINDER)
    simulate.set_defaults(handler=cmd_simulate)

    from hub.spi import installed_plugins
    for group, help_text in (("simulators", "run a device simulator"), ("discover", "discover devices")):
        command = "sim" if group == "simulators" else group
        names = sorted(installed_plugins(group))
        sub = commands.add_parser(command, help=help_text, add_help=False)
        sub.add_argument("name", nargs="?", choices=names or None, metavar="NAME", help=", ".join(names))
        sub.add_argument("rest", nargs=argparse.REMAINDER)
        sub.set_defaults(handler=cmd_plugin, group=group, command_name=command)

    from hub.cli._rules import add_rules_commands
    add_rules_commands(commands)
    token = commands.add_parser("hash-token", help="print a new subscriber token and its sha256")
    token.set_defaults(handler=cmd_hash_token)
    _console.register(commands)
    return parser


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=DEFAULT_TARGET, metavar="HOST:PORT", help=f"default {DEFAULT_TARGET}")
    parser.add_argument("--token", default=os.environ.get("CAMPUSHUB_TOKEN"),
                        help="bearer token (default: $CAMPUSHUB_TOKEN)")
    parser.add_argument("--ca", metavar="FILE", help="CA certificate when the hub serves TLS")


# --- commands ---------------------------------------------------------------------------------
def cmd_check(args) -> int:
    from hub.config.check import run_check
    return run_check(args.file)


def cmd_run(args) -> int:
    from hub import config as hub_config
    from hub.cli import logs
    from hub.cli import runtime
    try:
        config = hub_config.load(args.config)
    except hub_config.ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.config}: not started; fix the problems above (campus-hub check {args.config})", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.config}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    logs.configure(config.logging.level, config.logging.format)
    logs.route_native_stderr()
    return runtime.run(lambda: runtime.serve(config))


def _need_token(args) -> str | None:
    if not args.token:
        print("a token is needed: --token TOKEN or CAMPUSHUB_TOKEN=... (see campus-hub hash-token)", file=sys.stderr)
    return args.token


def _rpc_error(exc, target: str) -> int:
    print(f"{target}: {exc.code().name}: {exc.details()}", file=sys.stderr)
    return 1


def _run_client(main, target: str) -> int:
    """Run a client coroutine to its exit code: an RPC error is printed (1), Ctrl-C is 130."""
    import grpc
    try:
        return asyncio.run(main)
    except grpc.aio.AioRpcError as exc:
        return _rpc_error(exc, target)
    except KeyboardInterrupt:
        return 130


#: Stream errors after which `tail` reconnects: the hub restarting or out of reach. Anything else
#: (a bad token, a filter outside the scope, a resume point past retention) ends it.
_RECONNECT_CODES = ("UNAVAILABLE", "CANCELLED", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "ABORTED")


def cmd_tail(args) -> int:
    import grpc

    from hub.api.grpc.client import HubClient, make_filter
    from hub.cli import render
    from hub.spi import Backoff
    _RECONNECT_ON = {getattr(grpc.StatusCode, name) for name in _RECONNECT_CODES}
    if not _need_token(args):
        return 2
    event_filter = make_filter(
        regions=args.region, schools=args.school, categories=[parse_category(c) for c in args.category],
        min_severity=parse_severity(args.min_severity) if args.min_severity else 0,
        types=args.type, devices=args.device)
    colour = render.stdout_is_terminal()

    async def tail() -> int:
        shown = 0
        after, from_earliest = args.after, args.from_earliest
        backoff = Backoff(0.5, 10.0)
        while True:
            try:
                async with HubClient(args.target, args.token, ca_file=args.ca) as client:
                    # Heartbeats keep the resume point current when the filter selects little.
                    call = client.subscribe(event_filter, after=after, from_earliest=from_earliest,
                                            heartbeat_interval_ms=5000)
                    async for response in call:
                        backoff.succeeded()
                        for event in response.batch.events:
                            print(render.event_json(event) if args.json else render.event_line(event, colour),
                                  flush=True)
                            shown += 1
                            after, from_earliest = event.sequence, False
                            if args.count and shown >= args.count:
                                return 0
                        after = response.batch.last_sequence
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RECONNECT_ON:
                    raise
                reason = f"{exc.code().name}: {exc.details()}"
            else:
                reason = "the hub ended the stream"
            delay = backoff.failed()
            resume = f"after sequence {after}" if after is not None else (
                "from the earliest" if from_earliest else "from now")
            print(f"{args.target}: {reason}; reconnecting in {delay:.1f} s, resuming {resume}",
                  file=sys.stderr, flush=True)
            await asyncio.sleep(delay)

    return _run_client(tail(), args.target)


def _print_listing(args, fetch, table) -> int:
    """Run ``fetch(client)`` against the hub; print its messages as a table or JSON lines."""
    import grpc
    from google.protobuf import json_format

    from hub.api.grpc.client import HubClient
    if not _need_token(args):
        return 2

    async def listing():
        async with HubClient(args.target, args.token, ca_file=args.ca) as client:
            return await fetch(client)

    try:
        found = asyncio.run(listing())
    except grpc.aio.AioRpcError as exc:
        return _rpc_error(exc, args.target)
    if args.json:
        for message in found:
            print(json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None))
    else:
        print(table(found))
    return 0


def cmd_devices(args) -> int:
    from hub.cli import render
    return _print_listing(args, lambda client: client.list_devices(), render.devices_table)


def cmd_alarms(args) -> int:
    from campushub.v1 import alarm_service_pb2 as pb
    from hub.cli import render

    states = [pb.AlarmState.Value(f"ALARM_STATE_{state.upper()}") for state in args.state]
    if args.watch:
        return _watch_alarms(args)

    async def fetch(client):
        found, token = [], ""
        while True:
            page = await client.list_alarms(states=states, priorities=args.priority, page_size=1000,
                                            page_token=token)
            found += page.alarms
            token = page.next_page_token
            if not token:
                return found
    return _print_listing(args, fetch, render.alarms_table)


def _watch_alarms(args) -> int:
    """`campus-hub alarms --watch`: WatchAlarms' refresh as a table, then one line per change."""
    from google.protobuf import json_format

    from hub.api.grpc.client import HubClient
    from hub.cli import render
    if not _need_token(args):
        return 2

    async def watch() -> int:
        refreshed, changes = [], 0
        async with HubClient(args.target, args.token, ca_file=args.ca) as client:
            if args.json:  # one JSON line per message, as the hub sends them (one alarm each)
                async for message in client.watch_alarms():
                    print(json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None), flush=True)
                    if message.change:
                        changes += 1
                        if args.count and changes >= args.count:
                            return 0
                return 0
            async for kind, _, change, alarm in client.alarm_changes():
                if kind == "alarm" and not change:
                    refreshed.append(alarm)
                elif kind == "refresh_end":
                    print(render.alarms_table(refreshed), flush=True)
                elif kind == "alarm":
                    print(render.alarm_change_line(change, alarm), flush=True)
                    changes += 1
                    if args.count and changes >= args.count:
                        return 0
        return 0

    return _run_client(watch(), args.target)


def cmd_alarm(args) -> int:
    from hub.cli import render

    from campushub.v1 import alarm_service_pb2 as pb
    from hub.config.units import parse_duration

    if args.action == "ack":
        call = ("AcknowledgeAlarm", {"expected_revision": args.revision, "comment": args.comment,
                                     "force": args.force})
    elif args.action == "comment":
        call = ("AddComment", {"comment": args.text})
    elif args.action == "assign":
        call = ("AssignAlarm", {"assignee": args.assignee})
    elif args.action == "shelve":
        try:
            seconds = parse_duration(args.duration)
        except ValueError as exc:
            print(f"--for: {exc}", file=sys.stderr)
            return 2
        call = ("ShelveAlarm", {"duration_seconds": round(seconds), "one_shot": args.one_shot})
    else:
        call = ("CloseAlarm", {"disposition": pb.Disposition.Value(f"DISPOSITION_{args.disposition.upper()}"),
                               "force": args.force})
    name, fields = call

    async def act(client):
        return [(await client.alarm_call(name, alarm_id=args.alarm_id, **fields)).alarm]
    return _print_listing(args, act, render.alarms_table)


def cmd_terminals(args) -> int:
    from hub.cli import render
    from hub.api.grpc.client import make_filter
    return _print_listing(args, lambda client: client.list_terminals(make_filter(devices=args.switch)),
                          render.terminals_table)


def cmd_demo(args) -> int:
    from simulators.campus import demo
    return demo.main(args)


def cmd_simulate(args) -> int:
    from hub.cli import runtime
    from simulators.campus.cli import configure
    parser = argparse.ArgumentParser(prog="campus-hub simulate")
    configure(parser)
    simulate_args = parser.parse_args((["--help"] if args.help else []) + args.rest)
    return runtime.run(lambda: simulate_args.main(simulate_args))


def cmd_hash_token(args) -> int:
    from hub.access import run_hash_token
    return run_hash_token()


def cmd_plugin(args) -> int:
    """`sim NAME ...` / `discover NAME ...`: load only the named plugin, let it add its arguments."""
    from hub.cli import runtime
    from hub.spi import PluginError, installed_plugins, load_plugin
    if not args.name:
        print(f"usage: campus-hub {args.command_name} NAME ...; NAME is one of: "
              f"{', '.join(sorted(installed_plugins(args.group)))}", file=sys.stderr)
        return 2
    prog = f"campus-hub {args.command_name} {args.name}"
    try:
        return runtime.run_plugin_command(prog, load_plugin(args.group, args.name), args.rest)
    except (PluginError, runtime.PluginUnavailable) as exc:
        print(f"{prog}: not available: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("run", "demo", "sim", "discover", "simulate"):
        from hub import reactor
        reactor.install()  # before any adapter or simulator module can import the reactor
    if args.command not in ("run", "sim", "discover"):
        from hub.cli import logs
        logs.configure("warning")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
