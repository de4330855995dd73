"""Interop with pysiaalarm, an independent DC-09 implementation (Home Assistant's SIA integration).

1. pysiaalarm's receiver ACKs our simulator's frames (TCP and UDP, plain and encrypted).
2. Differential: for the same frames our parser and pysiaalarm's agree on account, code, zone and time.

Documented deviations of pysiaalarm from DC-09 (each asserted below, so a fix upstream shows up):
- ``ri`` is DC-03's *area* modifier; pysiaalarm calls it the zone and leaves the real zone (the
  address after the code) in ``message``. We map ri -> ``area`` and the address -> ``zone``.
- A SIA-DCS block with several events yields only the first event in pysiaalarm.
- Its encrypted ACK pads with '0' characters and omits the mandatory ``pad|`` delimiter, so a strict
  DC-09 transmitter cannot read the ACK body; our simulator accepts it on the (CRC-checked) header.
- Without the optional ``Rrcvr`` header field it answers ``"ACK"0001NoneL0...``: the word None where
  the receiver number would be, which no transmitter can read. Our simulator sends ``R0`` by default,
  and says what is wrong with such an answer when told to omit it.
- Its asyncio UDP receiver fails on CPython 3.11 (see PysiaReceiver); UDP interop uses its threaded one.
- To an unencrypted frame from an unknown account it answers the bare bytes ``"NAK"`` (no LF, CRC,
  length or timestamp), which no transmitter can parse as a NAK.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

import pytest
from pysiaalarm import SIAAccount
from pysiaalarm import SIAClient as ThreadedSIAClient
from pysiaalarm.aio import SIAClient, CommunicationsProtocol

from adapters.sia.codes import load_tables
from adapters.sia.content import EventCode, Modifier
from adapters.sia.crypto import parse_key
from adapters.sia.errors import SiaError
from adapters.sia.frame import Frame, decode_frame, encode_frame, parse_envelope
from adapters.sia.mapping import alarms_in
from simulators.sia import SiaTransmitter

from .helpers import ASCII_KEY

PLAIN, ENCRYPTED = "1234", "C3D4"


class PysiaReceiver:
    def __init__(self, transport: str) -> None:
        self.events = []
        self.transport = transport

    async def __aenter__(self):
        accounts = [SIAAccount(PLAIN), SIAAccount(ENCRYPTED, ASCII_KEY)]
        if self.transport == "tcp":
            async def collect(event):
                self.events.append(event)

            self.client = SIAClient("127.0.0.1", 0, accounts, collect, protocol=CommunicationsProtocol.TCP)
            await self.client.async_start()
            self.port = self.client.server.sockets[0].getsockname()[1]
        else:
            # Its asyncio UDP server asserts isinstance(transport, asyncio.DatagramTransport), which
            # CPython 3.11's selector datagram transport is not; its threaded UDP server works.
            self.client = ThreadedSIAClient("127.0.0.1", 0, accounts, self.events.append,
                                            protocol=CommunicationsProtocol.UDP)
            self.client.start()
            self.port = self.client.sia_server.server_address[1]
        return self

    async def __aexit__(self, *exc):
        if self.transport == "tcp":
            await self.client.async_stop()
        else:
            self.client.stop()

    async def transmitter(self, account: str, **kwargs) -> SiaTransmitter:
        key = {"key": ASCII_KEY, "key_format": "ascii"} if account == ENCRYPTED else {}
        kwargs.setdefault("ack_timeout_s", 2.0)
        return await SiaTransmitter.start("127.0.0.1", self.port, account=account, transport=self.transport,
                                          **key, **kwargs)

    async def wait_events(self, count: int) -> list:
        for _ in range(200):
            if len(self.events) >= count:
                return self.events
            await asyncio.sleep(0.01)
        raise AssertionError(f"pysiaalarm delivered {len(self.events)} events, expected {count}")


def by_sequence(sent: list[bytes], events: list) -> list[tuple[bytes, object]]:
    """Pair each frame we sent with pysiaalarm's event for it (its threaded UDP server may reorder)."""
    theirs = {int(event.sequence): event for event in events}
    assert len(theirs) == len(sent) == len(events)
    return [(raw, theirs[parse_envelope(raw).sequence]) for raw in sent]


def ours(raw: bytes, account: str):
    key = parse_key(ASCII_KEY, "ascii") if account == ENCRYPTED else None
    frame = decode_frame(raw, key)
    return frame, alarms_in(frame, load_tables())


@pytest.mark.parametrize("transport", ["tcp", "udp"])
@pytest.mark.parametrize("account", [PLAIN, ENCRYPTED])
async def test_pysiaalarm_acks_our_frames_and_agrees_on_sia_dcs(transport, account):
    async with PysiaReceiver(transport) as pysia:
        tx = await pysia.transmitter(account)
        try:
            sent = [("PA", 1, 1), ("BA", 7, 2), ("FA", 12, 3), ("TR", 3, 1)]
            for code, zone, area in sent:
                delivery = await tx.send_sia(code, zone, area=area)
                assert delivery.outcome == "ACK", delivery
                if account == ENCRYPTED:  # deviation: pysiaalarm's encrypted ACK has no 'pad|'
                    assert delivery.response.encrypted and "unreadable" in delivery.note
            assert (await tx.send_null()).outcome == "ACK"
            theirs = await pysia.wait_events(len(sent) + 1)
        finally:
            await tx.stop()
    for raw, event in by_sequence(tx.sent, theirs):
        frame, alarms = ours(raw, account)
        assert event.account == frame.account == account
        assert event.timestamp == frame.timestamp.replace(tzinfo=dt.UTC)
        if frame.id == "NULL":
            assert not alarms and event.code == "RP"  # pysiaalarm reports NULL as an automatic test
            continue
        (alarm,) = alarms
        assert event.code == alarm.code
        assert event.ri == alarm.attributes["area"]  # deviation: pysiaalarm's "zone" (ri) is DC-03's area
        assert event.message == alarm.attributes["zone"]  # ...and the real zone lands in its message


@pytest.mark.parametrize("account", [PLAIN, ENCRYPTED])
async def test_pysiaalarm_agrees_on_contact_id(account):
    async with PysiaReceiver("tcp") as pysia:
        tx = await pysia.transmitter(account)
        try:
            for event, zone, qualifier in [(130, 15, "1"), (130, 15, "3"), (121, 2, "1"), (301, 0, "1")]:
                assert (await tx.send_contact_id(event, zone, qualifier=qualifier, partition=2)).outcome == "ACK"
            theirs = await pysia.wait_events(4)
        finally:
            await tx.stop()
    tables = load_tables()
    for raw, event in by_sequence(tx.sent, theirs):
        frame, (alarm,) = ours(raw, account)
        assert event.account == frame.account
        assert (event.event_qualifier, event.event_type) == (alarm.attributes["contact_id_qualifier"],
                                                             alarm.attributes["contact_id_event"])
        assert event.ri == alarm.attributes["zone"] and event.partition == alarm.attributes["partition"]
        assert event.timestamp == frame.timestamp.replace(tzinfo=dt.UTC)
        # pysiaalarm folds Contact ID into a DC-03 code; where it has one, the meanings agree
        # except duress (121), which it folds into holdup (tested in test_codes.py).
        if alarm.attributes["contact_id_event"] != "121":
            assert tables.sia(event.code).type == alarm.meaning.type
            assert tables.sia(event.code).state == alarm.meaning.state


async def test_multi_event_block_pysiaalarm_reads_only_the_first():
    async with PysiaReceiver("tcp") as pysia:
        tx = await pysia.transmitter(PLAIN)
        try:
            block = [Modifier("ri", "1"), EventCode("BA", "01"), EventCode("BA", "02"), EventCode("FA", "03")]
            assert (await tx.send_block(block)).outcome == "ACK"
            (theirs,) = await pysia.wait_events(1)
        finally:
            await tx.stop()
    _, alarms = ours(tx.sent[-1], PLAIN)
    assert [a.code for a in alarms] == ["BA", "BA", "FA"]
    assert theirs.code == "BA"  # deviation: one event where DC-03 carries three


async def pysia_answer(port: int, account: str, receiver: str | None) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        frame = Frame("SIA-DCS", 1, account=account, receiver=receiver, data=f"#{account}|Nri1/PA01",
                      timestamp=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0))
        writer.write(encode_frame(frame))
        await writer.drain()
        return await asyncio.wait_for(reader.read(100), 2)
    finally:
        writer.close()


async def test_pysiaalarm_answers_that_no_transmitter_can_read():
    async with PysiaReceiver("tcp") as pysia:
        assert await pysia_answer(pysia.port, "9999", "0") == b'"NAK"'  # unknown account: unframed
        ack = await pysia_answer(pysia.port, PLAIN, None)
        assert b'"ACK"0001NoneL0#1234[]' in ack  # no Rrcvr in the request: "None" in the answer
        with pytest.raises(SiaError):
            decode_frame(ack)
        assert decode_frame(await pysia_answer(pysia.port, PLAIN, "0")).id == "ACK"


async def run_simulator(*argv: str, timeout: float = 60) -> tuple[int, str]:
    """``python -m simulators.sia`` with ``argv``; its exit status and output."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "simulators.sia", *argv,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
        raise AssertionError(f"the simulator did not finish within {timeout:g}s:\n{out.decode()}") from None
    return process.returncode, out.decode()


@pytest.mark.parametrize("account", [PLAIN, ENCRYPTED])
async def test_simulator_with_default_options_against_pysiaalarm(account):
    """What an integrator runs against Home Assistant: no options beyond where and who."""
    key = ["--key", ASCII_KEY, "--key-format", "ascii"] if account == ENCRYPTED else []
    async with PysiaReceiver("tcp") as pysia:
        status, out = await run_simulator("--port", str(pysia.port), "--account", account, *key,
                                          "--event", "PA:1", "--event", "BA:7:2", "--contact-id", "130:15", "--null")
        events = list(pysia.events)
    assert status == 0, out
    assert "done: 0 message(s) not acknowledged" in out
    assert "attempt 2" not in out  # nothing was sent twice
    assert sorted((e.code, e.sequence) for e in events) == [("BA", "0002"), ("BA", "0003"), ("PA", "0001"),
                                                            ("RP", "0004")]


async def test_simulator_says_what_is_wrong_with_pysiaalarms_answer_without_receiver_number():
    lines: list[str] = []
    async with PysiaReceiver("tcp") as pysia:
        tx = await pysia.transmitter(PLAIN, receiver=None, ack_timeout_s=0.5, attempts=1, log=lines.append)
        try:
            assert (await tx.send_sia("PA", 1)).outcome == "timeout"
        finally:
            await tx.stop()
    (complaint,) = [line for line in lines if "malformed" in line]
    assert complaint.startswith("<- malformed answer to #0001 ignored, header: unreadable header: "
                                "'NoneL0#1234[' follows '\"ACK\"0001' where only R<receiver>, L<line prefix>, "
                                "#<account> or the '[' of the data may come: b'\\n")


async def test_simulator_says_why_pysiaalarms_bare_nak_is_no_answer():
    lines: list[str] = []
    async with PysiaReceiver("tcp") as pysia:
        tx = await pysia.transmitter("9999", ack_timeout_s=0.5, attempts=1, log=lines.append)
        try:
            assert (await tx.send_sia("PA", 1)).outcome == "timeout"
        finally:
            await tx.stop()
    assert "<- 5 byte(s) from the receiver ignored, not a DC-09 frame (no LF ... CR around them): b'\"NAK\"'" in lines
