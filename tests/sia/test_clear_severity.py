"""One rule for every adapter: a clear carries the severity of what it clears, so a platform
subscribed at ``min_severity: MAJOR`` sees its alarms end. SIA: every restore code over TCP, and
the hub's ``device.online`` after a supervision timeout, seen by a gRPC subscriber at MAJOR."""
from __future__ import annotations

import asyncio
import collections
from importlib import resources

import yaml

from adapters.sia.adapter import SiaAdapter
from adapters.sia.options import SiaOptions
from hub.kernel import AdapterInstance, Hub, HubSettings
from hub.access import Subscriber
from hub.api.grpc.client import HubClient, make_filter
from hub.access import hash_token
from hub.events import Severity, State
from hub.access import Scope
from simulators.sia import SiaTransmitter

from .helpers import panel, start_receiver

CODES = yaml.safe_load(resources.files("adapters.sia").joinpath("codes.yaml").read_text("utf-8"))


def dc03_pairs() -> list[tuple[str, str]]:
    """(raising code, restoring code) for every DC-03 type that has both."""
    by_type = collections.defaultdict(lambda: ([], []))
    for code, entry in CODES["dc03"].items():
        by_type[entry["type"]][entry.get("state", "raised") == "cleared"].append(code)
    return [(raise_, clear) for raising, clearing in by_type.values() for raise_ in raising[:1] for clear in clearing]


def contact_id_codes() -> list[int]:
    """Contact ID events that raise (qualifier 3 then restores them)."""
    return [int(code) for code, entry in CODES["contact_id"].items() if entry.get("state", "raised") == "raised"]


async def test_every_dc03_restore_carries_the_severity_of_the_alarm_it_restores():
    pairs = dc03_pairs()
    assert len(pairs) >= 10
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234")
    try:
        for zone, (raising, clearing) in enumerate(pairs, 1):
            assert (await tx.send_sia(raising, zone)).acknowledged
            assert (await tx.send_sia(clearing, zone)).acknowledged
    finally:
        await tx.stop()
        await receiver.stop()
    events = receiver.ctx.events
    assert len(events) == 2 * len(pairs)
    wrong = [(pairs[i // 2], Severity.Name(raised.severity), Severity.Name(cleared.severity))
             for i, (raised, cleared) in enumerate(zip(events[::2], events[1::2]))
             if (raised.state, cleared.state) != (State.STATE_RAISED, State.STATE_CLEARED)
             or raised.type != cleared.type or raised.severity != cleared.severity]
    assert not wrong, f"(codes, raised severity, cleared severity): {wrong}"


async def test_every_contact_id_restore_carries_the_severity_of_the_alarm_it_restores():
    codes = contact_id_codes()
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234")
    try:
        for code in codes:
            assert (await tx.send_contact_id(code, 5, qualifier="1")).acknowledged
            assert (await tx.send_contact_id(code, 5, qualifier="3")).acknowledged
    finally:
        await tx.stop()
        await receiver.stop()
    events = receiver.ctx.events
    assert len(events) == 2 * len(codes)
    wrong = [(code, raised.type, Severity.Name(raised.severity), Severity.Name(cleared.severity))
             for code, raised, cleared in zip(codes, events[::2], events[1::2])
             if cleared.state == State.STATE_CLEARED and cleared.type == raised.type
             and cleared.severity != raised.severity]
    assert not wrong


TOKEN = "major-platform-token"


async def test_a_major_subscriber_sees_a_silent_panel_go_offline_and_come_back(tmp_path):
    """device.offline is MAJOR; the device.online that clears it must be MAJOR too, or a platform
    filtering at MAJOR keeps the panel offline forever."""
    devices = [panel("gate-1", "1234", supervision_s=0.3)]
    hub = Hub(HubSettings(
        journal_path=str(tmp_path / "journal.db"), devices=devices, grpc_address="127.0.0.1:0", metrics_address=None,
        subscribers=[Subscriber("platform", hash_token(TOKEN), Scope(all_regions=True))], dedupe_window=0.0,
        adapters=[AdapterInstance("sia-test", SiaAdapter, SiaOptions(host="127.0.0.1", tcp_port=0))]))
    await hub.start()
    try:
        while (adapter := hub.adapter("sia-test")) is None:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(adapter.ready.wait(), 5)
        tx = await SiaTransmitter.start(*adapter.tcp_address, account="1234", ack_timeout_s=2.0)
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", TOKEN) as client:
            call = client.subscribe(make_filter(min_severity=Severity.SEVERITY_MAJOR, types=["device."]),
                                    from_earliest=True)
            seen = []

            async def until(type_):
                async for response in call:
                    seen.extend(response.batch.events)
                    if any(e.type == type_ for e in seen):
                        return

            try:
                assert (await tx.send_null()).acknowledged  # online (nothing to clear yet)
                await asyncio.wait_for(until("device.offline"), 10)  # then silent past supervision_s
                assert (await tx.send_null()).acknowledged
                await asyncio.wait_for(until("device.online"), 10)
            finally:
                call.cancel()
                await tx.stop()
    finally:
        await hub.stop()
    offline, online = [e for e in seen if e.type in ("device.offline", "device.online")][-2:]
    assert (offline.type, offline.state, offline.severity) == ("device.offline", State.STATE_RAISED,
                                                               Severity.SEVERITY_MAJOR)
    assert (online.type, online.state, online.severity) == ("device.online", State.STATE_CLEARED,
                                                            Severity.SEVERITY_MAJOR)
