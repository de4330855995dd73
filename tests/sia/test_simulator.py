"""The transmitter simulator: CLI, scenarios, retries per DC-09."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt

import pytest

from adapters.sia.frame import decode_frame
from adapters.sia.framer import FrameSplitter
from adapters.sia.responses import build_ack
from simulators.sia import SiaTransmitter
from simulators.sia.cli import configure
from simulators.sia.scenario import ScenarioFileError, load_scenario

from .helpers import HEX_KEY, start_receiver


def parse_cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(argv)


async def test_cli_sends_events_contact_id_and_null(capsys):
    receiver = await start_receiver()
    try:
        host, port = receiver.tcp
        args = parse_cli("--host", host, "--port", str(port), "--account", "A1B2", "--key", HEX_KEY,
                         "--event", "PA:1", "--event", "FA:2:3", "--contact-id", "130:15:3", "--null")
        assert await args.main(args) == 0
        assert [e.type for e in receiver.ctx.events] == ["panic.alarm", "fire.alarm", "intrusion.burglary"]
        assert receiver.ctx.events[1].attributes["area"] == "3"
        out = capsys.readouterr().out
        assert "<- ACK for #0001" in out and "done: 0 message(s) not acknowledged" in out
    finally:
        await receiver.stop()


async def test_cli_scenario_with_misbehaviour(tmp_path, capsys):
    scenario = tmp_path / "gate.yaml"
    scenario.write_text(
        "- sia: PA\n  zone: 1\n- wait: 0.01\n- misbehave: {bad_crc: true}\n- sia: PH\n  zone: 1\n"
        "- misbehave: {bad_crc: false}\n- contact_id: 121\n  zone: 3\n"
    )
    receiver = await start_receiver()
    try:
        host, port = receiver.tcp
        args = parse_cli("--host", host, "--port", str(port), "--udp", "--account", "1234", "--scenario",
                         str(scenario), "--ack-timeout", "0.5", "--attempts", "2")
        args.port = receiver.udp[1]
        assert await args.main(args) == 1  # the PH sent with a bad CRC is never acknowledged
        assert [e.type for e in receiver.ctx.events] == ["panic.alarm", "panic.duress"]
        assert "misbehaviour: bad_crc = True" in capsys.readouterr().out
    finally:
        await receiver.stop()


def test_scenario_errors_have_file_line_and_say_what_is_right(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- sia: panic\n- wait: 1\n- jump: 3\n- null: true\n- sia: PA\n  zonee: 1\n")
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(bad)
    assert [str(problem) for problem in info.value.problems] == [
        f"{bad}:1:8: [0].sia: 'panic' is not a SIA DC-03 code; expected two capital letters such as PA (panic) "
        "or FA (fire)",
        f"{bad}:3:3: [2]: a step with keys jump does nothing; expected a step with one of sia:, contact_id:, "
        "null:, wait:, misbehave: (e.g. '- sia: PA')",
        f"{bad}:6:3: [4].zonee: unknown key 'zonee' (did you mean 'zone'?); expected one of: sia, zone, area, "
        "user, text",
    ]


async def test_cli_reports_a_bad_scenario_with_file_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- wait: soon\n")
    args = parse_cli("--port", "9", "--account", "1234", "--scenario", str(bad))
    assert await args.main(args) == 2
    assert f"{bad}:1:9: [0].wait: invalid value 'soon'" in capsys.readouterr().err


async def test_retries_resend_the_same_sequence_until_answered():
    """A receiver that stays silent twice: the transmitter resends the same message."""
    seen: list[bytes] = []

    async def flaky_receiver(reader, writer):
        splitter = FrameSplitter()
        while data := await reader.read(4096):
            for raw in splitter.feed(data):
                seen.append(raw)
                if len(seen) == 3:
                    writer.write(build_ack(decode_frame(raw), dt.datetime.now(dt.UTC)))

    server = await asyncio.start_server(flaky_receiver, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tx = await SiaTransmitter.start("127.0.0.1", port, account="1234", ack_timeout_s=0.5, attempts=4)
    try:
        delivery = await tx.send_sia("PA", 1)
        assert delivery.outcome == "ACK" and delivery.attempts == 3
        frames = [decode_frame(raw) for raw in seen]
        assert {f.sequence for f in frames} == {1} and {f.data for f in frames} == {"#1234|NPA01"}
        tx.attempts = 1
        assert (await tx.send_null()).outcome == "timeout"  # the server answers only once
        assert tx.sequence == 3
    finally:
        await tx.stop()
        server.close()


async def test_sequence_wraps_from_9999_to_0001():
    receiver = await start_receiver()
    tx = await receiver.transmitter("1234", first_sequence=9999)
    try:
        assert (await tx.send_null()).sequence == 9999
        assert (await tx.send_null()).sequence == 1
    finally:
        await tx.stop()
        await receiver.stop()


async def test_module_entry_point_runs_without_the_hub_cli():
    import sys

    receiver = await start_receiver()
    try:
        host, port = receiver.tcp
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulators.sia", "--host", host, "--port", str(port), "--account", "1234",
            "--event", "MA:4", stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out
        assert b"<- ACK for #0001" in out
        assert [e.type for e in receiver.ctx.events] == ["medical.alarm"]
    finally:
        await receiver.stop()
