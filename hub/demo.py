"""`campus-hub demo`: a hub on a simulated campus, its events shown live as a platform sees them.

The hub runs with an embedded config (one school in Yanhu district, 140802) and the synthetic
adapter, which invents events; the demo subscribes to its own gRPC API, like any platform would,
and prints what arrives.
"""
from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile

from hub import render

DEMO_SCHOOL = "sch-140802-001"

DEMO_CONFIG = """\
hub: {{id: demo-hub, name: campus-hub demo}}
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


def main(args) -> int:
    from hub import config as hub_config
    from hub import logs, runtime
    from hub.config.tokens import new_token

    data_dir = args.data or tempfile.mkdtemp(prefix="campus-hub-demo-")
    token, token_sha256 = new_token()
    text = DEMO_CONFIG.format(journal=f"{data_dir}/journal.db", grpc=args.grpc, metrics=args.metrics,
                              school=DEMO_SCHOOL, rate=args.rate, token_sha256=token_sha256)
    config = hub_config.load_text(text, "<demo config>")
    logs.configure(config.logging.level, config.logging.format)
    try:
        return runtime.run(lambda: _demo(config, token, args))
    finally:
        if not args.data:
            shutil.rmtree(data_dir, ignore_errors=True)


async def _demo(config, token: str, args) -> int:
    from hub.app import Hub
    from hub.client import HubClient
    from hub.runtime import settings_from_config

    hub = Hub(settings_from_config(config))
    try:
        await hub.start()
    except OSError as exc:
        print(f"campus-hub demo: cannot start: {exc} (is another hub running? try --grpc 127.0.0.1:0)",
              file=sys.stderr)
        await hub.stop()
        return 2
    target = f"{args.grpc.rsplit(':', 1)[0]}:{hub.grpc_port}"
    colour = render.stdout_is_terminal()
    print(f"""campus-hub demo: one simulated school, {len(hub.registry)} devices, Yanhu district (140802)
  NOTE: events come from the SYNTHETIC adapter (invented, no device protocol on the wire).
  gRPC API   {target}   (health and reflection enabled)
  metrics    http://{args.metrics.rsplit(':', 1)[0]}:{hub.metrics_port}/metrics
  try, in another terminal:
    campus-hub tail --target {target} --token {token} --category fire
    campus-hub devices --target {target} --token {token}
  Ctrl-C stops.
""", flush=True)
    try:
        async with HubClient(target, token) as client:
            stream = _print_events(client, colour)
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


async def _print_events(client, colour: bool) -> None:
    async for event in client.events(from_earliest=True):
        print(render.event_line(event, colour), flush=True)
