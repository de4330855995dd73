"""`campus-hub demo`: a hub on a simulated campus, its events shown live as a platform sees them.

One process runs the default one-school scenario (config/scenarios/one-school.yaml: a Modbus fire
panel, ONVIF cameras, an SNMP switch and UPS, SIA DC-09 one-button alarm and intrusion panel, all
speaking their real protocols on loopback), a hub configured for exactly those devices, and a
subscriber on the hub's own gRPC API that prints each normalized event as it arrives. The scenario's
timeline plays again and again, with background noise in between.

``--synthetic`` runs the older demo instead: the synthetic adapter invents events, no device
protocol on the wire.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import sys
import tempfile

from hub.cli import render
from hub.events import category_name, severity_name, state_name, timestamp_seconds

DEMO_SCHOOL = "sch-140802-001"
#: seconds between the end of the timeline and its next run
REPLAY_PAUSE = 10.0

_COLOURS = {"critical": "\x1b[1;31m", "major": "\x1b[31m", "warning": "\x1b[33m", "info": ""}
FAMILY_WORDS = {"modbus": "fire panels (Modbus TCP)", "onvif": "cameras (ONVIF)",
                "snmp": "switch and UPS (SNMP)", "sia": "one-button alarm and intrusion panel (SIA DC-09)"}


def main(args) -> int:
    from hub.cli import logs
    from hub.cli import runtime

    data_dir = args.data or tempfile.mkdtemp(prefix="campus-hub-demo-")
    logs.configure("error")  # the demo's screen is the event view; device trouble shows there as events
    try:
        if getattr(args, "synthetic", False):
            return runtime.run(lambda: _synthetic_demo(data_dir, args))
        return runtime.run(lambda: _campus_demo(data_dir, args))
    finally:
        if not args.data:
            shutil.rmtree(data_dir, ignore_errors=True)


# --- the simulated campus ---------------------------------------------------------------------------
def _unusable_families(plan) -> dict[str, str]:
    """Families whose adapter plugin does not load: the demo runs without them and says so."""
    from hub.spi import PluginError, load_adapter_class

    unusable = {}
    for family in {device.family for device in plan.devices.values()}:
        try:
            load_adapter_class(family)
        except PluginError as exc:
            unusable[family] = f"adapter not usable: {exc.message}"
    return unusable


async def _campus_demo(data_dir: str, args) -> int:
    from hub import config as hub_config
    from hub.kernel import Hub
    from hub.api.grpc.client import HubClient
    from hub.cli.runtime import settings_from_config
    from simulators.campus.campus import FAMILIES, SimulatedCampus
    from simulators.campus.hubconfig import HubOptions, config_text
    from simulators.campus.noise import Noise
    from simulators.campus.scenario import ScenarioError, load_scenario
    from simulators.campus.timeline import free_port

    try:
        plan = load_scenario(args.scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    unusable = _unusable_families(plan)
    host = "127.0.0.1"
    campus = await SimulatedCampus.start(
        plan, sia_port=free_port(socket.SOCK_STREAM, host), trap_port=free_port(socket.SOCK_DGRAM, host), host=host,
        say=lambda line: print(line, file=sys.stderr, flush=True),
        families=tuple(f for f in (args.only or FAMILIES) if f not in unusable))
    campus.missing.update(unusable)
    if plan.scenario.history is not None:
        from simulators.campus.past import leave_unrepaired
        await leave_unrepaired(campus, lambda line: print(line, file=sys.stderr, flush=True))
    tasks: list[asyncio.Task] = []
    hub = None
    try:
        text, token = config_text(campus, HubOptions(args.grpc, args.metrics, f"{data_dir}/journal.db"))
        config = hub_config.load_text(text, "<demo config>", base_dir=data_dir)
        hub_settings = settings_from_config(config)
        with_history = plan.scenario.history is not None
        if with_history:
            from simulators.campus.past import journal_past_if_new
            await journal_past_if_new(plan, hub_settings, lambda line: print(line, file=sys.stderr, flush=True))
        hub = Hub(hub_settings)
        console, login = _attach_demo_console(hub, plan, args)
        try:
            await hub.start()
        except OSError as exc:
            print(f"campus-hub demo: cannot start: {exc} (is another hub running? try --grpc 127.0.0.1:0 "
                  f"--console 127.0.0.1:0)", file=sys.stderr)
            return 2
        target = f"{args.grpc.rsplit(':', 1)[0]}:{hub.grpc_port}"
        _print_header(campus, hub, target, token, args, console, login)
        colour = render.stdout_is_terminal()
        schools = {school.school_id: school.name for school in plan.schools}
        async with HubClient(target, token) as client:
            # With a history the live view starts after it (and after the census at start): its
            # events are the reports' and the ledger's to show, not a screenful each.
            after = hub.journal.head if with_history else None
            tasks.append(asyncio.ensure_future(_print_events(client, schools, colour, after)))
            tasks.append(asyncio.ensure_future(_play(campus, colour)))
            noise = Noise(campus, plan.scenario.noise, args.rate)
            tasks.append(asyncio.ensure_future(noise.run()))
            finished, _ = await asyncio.wait(tasks, timeout=args.duration or None,
                                             return_when=asyncio.FIRST_EXCEPTION)
            for task in finished:
                try:
                    task.result()  # a view or script that died says why
                except BrokenPipeError:  # the reader went away (`campus-hub demo | head`): stop quietly
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if hub is not None:
            await hub.stop()
        await campus.stop()
    return 0


def _attach_demo_console(hub, plan, args):
    """The operator console on ``--console`` (off with --console off): (service, login) or (None, None)."""
    address = getattr(args, "console", "127.0.0.1:8080")
    if address == "off":
        return None, None
    from hub.console import attach_console
    from simulators.campus.democonsole import demo_console

    settings, login = demo_console(plan, address)
    return attach_console(hub, settings), login


def _print_header(campus, hub, target: str, token: str, args, console=None, login=None) -> None:
    plan = campus.plan
    school = plan.schools[0]
    more = f" and {len(plan.schools) - 1} more schools" if len(plan.schools) > 1 else ""
    lines = [f"campus-hub demo: {school.name} ({school.school_id}, region {school.region_code}){more}: "
             f"{len(campus.devices())} simulated devices speaking their real protocols on loopback"]
    counts = plan.count_by_family()
    for family in ("modbus", "onvif", "snmp", "sia"):
        if family not in counts:
            continue
        if family in campus.missing:
            lines.append(f"  MISSING    {FAMILY_WORDS[family]}: {campus.missing[family]} (the demo runs without them)")
        else:
            lines.append(f"  {counts[family]:>3} x      {FAMILY_WORDS[family]}")
    lines += [
        f"  gRPC API   {target}   (health and reflection enabled)",
        f"  metrics    http://{args.metrics.rsplit(':', 1)[0]}:{hub.metrics_port}/metrics",
        *([f"  console    {console.url}   (log in as {login.username} / {login.password})"] if console else []),
        "  try, in another terminal:",
        f"    campus-hub tail --target {target} --token {token} --category fire",
        f"    campus-hub devices --target {target} --token {token}",
        f"    campus-hub alarms --watch --target {target} --token {token}   (the gate's panic alarm escalates "
        "to the county after 60 s unless acknowledged:",
        f"    campus-hub alarm ack ID --revision N --target {target} --token {token})",
        *([f"  the journal holds {plan.scenario.history.days:g} days of the campus's past (the live view starts "
           "after it); its reports and ledger:",
           f"    campus-hub report connectivity --level county --target {target} --token {token}",
           f"    campus-hub report compliance --target {target} --token {token}",
           f"    campus-hub ledger list --overdue --target {target} --token {token}"]
          if plan.scenario.history is not None else []),
        "  Ctrl-C stops.",
        "",
        "events as a platform receives them over gRPC (lines starting with 'script' say what the simulator did):",
    ]
    print("\n".join(lines), flush=True)


async def _play(campus, colour: bool) -> None:
    from simulators.campus.timeline import play_timeline

    def say(line: str) -> None:
        text = f"script   {line}"
        print(f"\x1b[2m{text}\x1b[0m" if colour else text, flush=True)

    await campus.wait_for_hub(30.0)
    while True:
        await play_timeline(campus, campus.plan.timeline, say)
        await asyncio.sleep(REPLAY_PAUSE)


async def _print_events(client, schools: dict[str, str], colour: bool, after: int | None = None) -> None:
    async for event in client.events(**({"after": after} if after is not None else {"from_earliest": True})):
        print(event_view(event, schools, colour), flush=True)


def what_happened(event) -> str:
    """``fire.alarm`` raised in zone 3 -> ``fire alarm (zone 3)``; cleared ones say so."""
    words = event.type.replace(".", " ").replace("_", " ")
    if state_name(event.state) == "cleared" and event.type != "device.online":  # online *is* the clearing
        words += " cleared"
    details = [f"{key} {event.attributes[key]}" for key in ("zone", "port", "point", "alarm") if event.attributes.get(key)]
    if event.type.startswith("linkage.action."):  # which rule did what: "snapshot by rule panic-look"
        details.insert(0, f"{event.attributes.get('action', '?')} by rule {event.attributes.get('rule', '?')}")
        if event.attributes.get("preset"):
            details.append(f"preset {event.attributes['preset']}")
        if event.media:
            details.append(f"{len(event.media)} snapshot attached to the alarm")
    reason = event.attributes.get("reason")
    if reason:
        details.append(reason if len(reason) <= 60 else reason[:57] + "...")
    return words + (f" ({', '.join(details)})" if details else "")


def event_view(event, schools: dict[str, str], colour: bool = False) -> str:
    """One line: time, severity, category, school and place, device, what happened, protocol."""
    when = dt.datetime.fromtimestamp(timestamp_seconds(event.occurred_at)).strftime("%H:%M:%S")
    site = event.site
    place = "/".join(p for p in (schools.get(site.school_id) or site.school_id, site.building, site.zone) if p)
    protocol = f" [{event.raw.protocol}]" if event.raw.protocol else ""
    severity = severity_name(event.severity)
    text = (f"#{event.sequence:<5} {when}  {severity.upper():<8} "
            f"{category_name(event.category):<9} {place:<44} {event.source_device_id:<14} "
            f"{what_happened(event)}{protocol}")
    return f"{_COLOURS.get(severity, '')}{text}\x1b[0m" if colour else text


# --- the synthetic demo (no device protocols) ---------------------------------------------------------
SYNTHETIC_CONFIG = """\
hub: {{id: {hub_id}, name: campus-hub demo}}
journal: {{path: {journal}, durability: normal, max_age: 1d}}
listeners:
  grpc: {{address: "{grpc}"}}
  metrics: {{address: "{metrics}"}}
pipeline: {{dedupe_window: 2s}}
logging: {{level: warning}}
sites:
  - {{school_id: {school}, region_code: "140802", name: Yanhu Experimental Primary School}}
adapters:
  - {{name: synthetic-campus, type: synthetic, options: {{rate: {rate}, seed: 7}}}}
devices:
  - {{id: fire-panel-a, kind: fire_panel, adapter: synthetic-campus, site: {{school_id: {school}, building: A}}}}
  - {{id: cam-gate, kind: camera, adapter: synthetic-campus, site: {{school_id: {school}, zone: gate}}}}
  - {{id: cam-gym, kind: camera, adapter: synthetic-campus, site: {{school_id: {school}, building: C, zone: gym}}}}
  - {{id: panic-gate, kind: panic_button, adapter: synthetic-campus, site: {{school_id: {school}, zone: gate}}}}
  - {{id: intrusion-b, kind: alarm_panel, adapter: synthetic-campus, site: {{school_id: {school}, building: B}}}}
  - {{id: sw-core, kind: switch, adapter: synthetic-campus, site: {{school_id: {school}, building: A, zone: server room}}}}
  - {{id: ups-core, kind: ups, adapter: synthetic-campus, site: {{school_id: {school}, building: A, zone: server room}}}}
subscribers:
  - id: demo-viewer
    token_sha256: {token_sha256}
    scope: {{region_prefixes: ["140802"]}}
"""


async def _synthetic_demo(data_dir: str, args) -> int:
    from hub import config as hub_config
    from hub.kernel import Hub
    from hub.api.grpc.client import HubClient
    from hub.access import new_token
    from hub.cli.runtime import settings_from_config

    token, token_sha256 = new_token()
    text = SYNTHETIC_CONFIG.format(journal=f"{data_dir}/journal.db", grpc=args.grpc, metrics=args.metrics,
                                   school=DEMO_SCHOOL, rate=args.rate or 2.0, token_sha256=token_sha256,
                                   hub_id=hub_config.hub_id_from("demo", DEMO_SCHOOL))
    hub = Hub(settings_from_config(hub_config.load_text(text, "<demo config>")))
    try:
        await hub.start()
    except OSError as exc:
        print(f"campus-hub demo: cannot start: {exc} (is another hub running? try --grpc 127.0.0.1:0)",
              file=sys.stderr)
        await hub.stop()
        return 2
    target = f"{args.grpc.rsplit(':', 1)[0]}:{hub.grpc_port}"
    print(f"""campus-hub demo --synthetic: one school, {len(hub.registry)} devices, Yanhu district (140802)
  NOTE: events come from the SYNTHETIC adapter (invented, no device protocol on the wire).
  gRPC API   {target}   (health and reflection enabled)
  metrics    http://{args.metrics.rsplit(':', 1)[0]}:{hub.metrics_port}/metrics
  try, in another terminal:
    campus-hub tail --target {target} --token {token} --category fire
    campus-hub devices --target {target} --token {token}
  Ctrl-C stops.
""", flush=True)
    colour = render.stdout_is_terminal()
    try:
        async with HubClient(target, token) as client:
            stream = _print_synthetic(client, colour)
            if args.duration:
                try:
                    await asyncio.wait_for(stream, args.duration)
                except TimeoutError:
                    pass
            else:
                await stream
    finally:
        await hub.stop()
    return 0


async def _print_synthetic(client, colour: bool) -> None:
    async for event in client.events(from_earliest=True):
        print(render.event_line(event, colour), flush=True)
