"""A panel retrying across a hub restart: the real hub and journal, stopped and started again."""
from __future__ import annotations

import asyncio
import datetime as dt
import os

from adapters.sia.adapter import SiaAdapter
from adapters.sia.frame import Frame, decode_frame, encode_frame
from adapters.sia.options import SiaOptions
from hub.kernel import AdapterInstance, Hub, HubSettings
from tests.subscribing import collect

from .helpers import HEX_KEY, exchange, panel


async def start_hub(path: str, **settings) -> tuple[Hub, tuple[str, int]]:
    devices = [panel("plain-1", "1234"), panel("hex-1", "A1B2", key=HEX_KEY, key_format="hex")]
    hub = Hub(HubSettings(journal_path=path, devices=devices, grpc_address="127.0.0.1:0", metrics_address=None,
                          adapters=[AdapterInstance("sia-test", SiaAdapter, SiaOptions(host="127.0.0.1", tcp_port=0))],
                          **settings))
    await hub.start()
    while (adapter := hub.adapter("sia-test")) is None:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(adapter.ready.wait(), 5)
    return hub, adapter.tcp_address


async def alarms_in_journal(hub: Hub) -> list[str]:
    entries = await hub.journal.read_after(0, 1000)
    return [entry.type for entry in entries if entry.event().raw.protocol == "sia-dc09"]


async def test_a_retry_after_a_hub_restart_is_acked_without_a_second_event(tmp_path):
    path = str(tmp_path / "journal.db")
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    plain = encode_frame(Frame("SIA-DCS", 12, account="1234", data="#1234|NPA01", timestamp=stamp))
    encrypted = encode_frame(Frame("SIA-DCS", 13, account="A1B2", data="#A1B2|NFA02", timestamp=stamp,
                                   encrypted=True), bytes.fromhex(HEX_KEY))
    hub, address = await start_hub(path)
    try:
        for raw in (plain, encrypted):
            assert decode_frame(await exchange(address, raw), bytes.fromhex(HEX_KEY)).id == "ACK"
        assert await alarms_in_journal(hub) == ["panic.alarm", "fire.alarm"]
    finally:
        await hub.stop()

    # The panels never saw those ACKs (say the restart cut them off) and send the same frames again.
    hub, address = await start_hub(path)
    try:
        for raw in (plain, encrypted):
            assert decode_frame(await exchange(address, raw), bytes.fromhex(HEX_KEY)).id == "ACK"
        assert await alarms_in_journal(hub) == ["panic.alarm", "fire.alarm"]
        # A new message with a sequence used before the restart is a new alarm.
        again = encode_frame(Frame("SIA-DCS", 12, account="1234", data="#1234|NPA03", timestamp=stamp))
        assert decode_frame(await exchange(address, again)).id == "ACK"
        assert await alarms_in_journal(hub) == ["panic.alarm", "fire.alarm", "panic.alarm"]
    finally:
        await hub.stop()


async def test_a_stopped_hub_leaves_no_wal_or_shm_after_its_journal_was_read(tmp_path):
    # The SIA adapter reads the journal at start (recent_events), and a subscriber that resumes
    # from the start reads it from disk (no tail cache): reader threads held connections, and the
    # WAL and shared-memory files go only when the last connection to the database closes.
    from hub.access import Scope, Subscriber, hash_token
    from hub.api.grpc.client import HubClient

    path = tmp_path / "journal.db"
    subscriber = Subscriber("ops", hash_token("ops-token"), Scope(all_regions=True))
    hub, address = await start_hub(str(path), tail_cache_events=0, subscribers=[subscriber])
    try:
        stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        for sequence in range(1, 4):
            frame = Frame("SIA-DCS", sequence, account="1234", data=f"#1234|NPA0{sequence}", timestamp=stamp)
            assert decode_frame(await exchange(address, encode_frame(frame))).id == "ACK"
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", "ops-token") as client:
            received = await collect(client.subscribe(from_earliest=True), 3)
        assert [e.type for e in received if e.raw.protocol == "sia-dc09"] == ["panic.alarm"] * 3
        assert os.path.exists(f"{path}-wal")  # the journal is in WAL mode while it runs
    finally:
        await hub.stop()
    assert not os.path.exists(f"{path}-wal") and not os.path.exists(f"{path}-shm"), os.listdir(tmp_path)
