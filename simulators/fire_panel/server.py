"""Fire-panel simulator: pymodbus TCP servers serving :class:`PanelModel` registers.

One listening socket is one *endpoint*: a panel with its own Modbus TCP interface, or a serial
converter / gateway with several panels behind it (one unit id each). Each endpoint speaks Modbus
TCP (MBAP) or RTU framing over TCP, as cheap RS-485 converters do.

Misbehaviour switches, per endpoint or panel, for testing integrators' setups:
``drop_connections`` (a converter resetting: every TCP connection closed),
``set_answering(False)`` (a converter that accepts TCP but never answers),
``set_exception(code)`` (a panel answering every request with a Modbus exception),
``set_answer_fault(name, "short")`` (reads answered with one value less than asked) and
``set_answer_fault(name, "wrong_unit")`` (answers carrying another unit id) and
``delay_answers(name, *seconds)`` (the next reads answered late, as a gateway with a queue
does: a late answer goes out while the client's next request is outstanding).

Requests it cannot carry out get Modbus exceptions: 01 for an unknown function, 02 for an address
the panel does not map, 03 for a malformed request or a count out of range (see
:mod:`simulators.fire_panel.refusals`).
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from adapters.modbus.profile import Profile, Table
from simulators.fire_panel.panel import PanelModel
from simulators.fire_panel.refusals import RefusingDecoder

__all__ = ["ANSWER_FAULTS", "EndpointSpec", "FirePanelSimulator", "PanelSpec", "FRAMERS"]

FRAMERS = {"tcp": FramerType.SOCKET, "rtu-over-tcp": FramerType.RTU}
ANSWER_FAULTS = {None: "answers properly", "short": "answers reads one value short",
                 "wrong_unit": "answers with another unit id"}
# Function code -> table (read and write functions).
_TABLE_OF_FUNCTION = {1: Table.coil, 5: Table.coil, 15: Table.coil, 2: Table.discrete, 4: Table.input,
                      3: Table.holding, 6: Table.holding, 16: Table.holding, 22: Table.holding, 23: Table.holding}
# pymodbus' own logger is chatty about what we do on purpose (unknown unit ids, dropped links).
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


@dataclasses.dataclass(frozen=True)
class PanelSpec:
    name: str
    profile: Profile
    unit_id: int = 1


@dataclasses.dataclass(frozen=True)
class EndpointSpec:
    panels: Sequence[PanelSpec]
    port: int = 0
    framer: str = "tcp"  # tcp | rtu-over-tcp


@dataclasses.dataclass
class _Panel:
    model: PanelModel
    unit_id: int
    endpoint: _Endpoint
    exception: int | None = None
    answer_fault: str | None = None  # None | short | wrong_unit
    requests: int = 0
    answer_delays: list[float] = dataclasses.field(default_factory=list)  # for the next reads, in order


@dataclasses.dataclass
class _Endpoint:
    spec: EndpointSpec
    server: ModbusTcpServer | None = None
    port: int = 0
    answering: bool = True
    # Set when answering resumes or the simulator stops, releasing requests held while silent.
    resume: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


class FirePanelSimulator:
    """Many simulated panels on one or more loopback ports. Use :meth:`start` and :meth:`stop`."""

    def __init__(self, endpoints: Sequence[EndpointSpec], host: str, say: Callable[[str], None]) -> None:
        self.host = host
        self.say = say
        self.panels: dict[str, _Panel] = {}
        self.endpoints: list[_Endpoint] = []
        for spec in endpoints:
            if spec.framer not in FRAMERS:
                raise ValueError(f"framer must be one of {', '.join(FRAMERS)}, got {spec.framer!r}")
            endpoint = _Endpoint(spec)
            self.endpoints.append(endpoint)
            units = [p.unit_id for p in spec.panels]
            if len(set(units)) != len(units):
                raise ValueError(f"unit ids repeat on one endpoint: {units}")
            for panel in spec.panels:
                if not 1 <= panel.unit_id <= 247:
                    raise ValueError(f"panel {panel.name}: unit id must be 1..247, got {panel.unit_id}")
                if panel.name in self.panels:
                    raise ValueError(f"panel name {panel.name!r} is used twice")
                self.panels[panel.name] = _Panel(PanelModel(panel.name, panel.profile), panel.unit_id, endpoint)

    @classmethod
    async def start(cls, endpoints: Sequence[EndpointSpec], host: str = "127.0.0.1",
                    say: Callable[[str], None] = lambda line: None) -> FirePanelSimulator:
        """Listen on every endpoint (port 0 picks a free port; see :meth:`port_of`)."""
        sim = cls(endpoints, host, say)
        for endpoint in sim.endpoints:
            await sim._listen(endpoint, endpoint.spec.port)
        return sim

    async def stop(self) -> None:
        for endpoint in self.endpoints:
            await self._close(endpoint)
            endpoint.resume.set()

    async def restart(self) -> None:
        """Listen again on the same ports after :meth:`stop` (a power-cycled converter)."""
        for endpoint in self.endpoints:
            endpoint.resume = asyncio.Event()
            await self._listen(endpoint, endpoint.port)

    # --- driving panels ---------------------------------------------------------------------------
    def panel(self, name: str) -> PanelModel:
        try:
            return self.panels[name].model
        except KeyError:
            raise KeyError(f"no panel {name!r}; panels: {', '.join(self.panels)}") from None

    def port_of(self, name: str) -> int:
        return self.panels[name].endpoint.port

    def drop_connections(self, port: int | None = None) -> int:
        """Close every client connection (on one port, or all): a converter dropping its links."""
        dropped = 0
        for endpoint in self._endpoints(port):
            if endpoint.server is not None:
                for connection in list(endpoint.server.active_connections.values()):
                    connection.close()
                    dropped += 1
        self.say(f"dropped {dropped} connection(s)" + (f" on port {port}" if port else ""))
        return dropped

    def set_answering(self, answering: bool, port: int | None = None) -> None:
        """Keep TCP open but stop (or resume) answering, like a converter whose serial side hangs."""
        for endpoint in self._endpoints(port):
            endpoint.answering = answering
            if answering:
                endpoint.resume.set()
                endpoint.resume = asyncio.Event()
            self.say(f"port {endpoint.port}: {'answering again' if answering else 'silent (accepts TCP, never answers)'}")

    def set_answer_fault(self, name: str, fault: str | None) -> None:
        """Spoil the panel's answers like a buggy gateway: ``short`` (one value less than asked),
        ``wrong_unit`` (another unit id in the answer), or None to answer properly."""
        if fault not in ANSWER_FAULTS:
            raise ValueError(f"answer fault must be one of {', '.join(map(str, ANSWER_FAULTS))}, got {fault!r}")
        self.panels[name].answer_fault = fault
        self.say(f"{name}: " + (ANSWER_FAULTS[fault]))

    def delay_answers(self, name: str, *seconds: float) -> None:
        """Answer the panel's next reads late, the first by ``seconds[0]``, the next by
        ``seconds[1]`` and so on (none given: on time again)."""
        self.panels[name].answer_delays = list(seconds)
        self.say(f"{name}: next answers late by {', '.join(f'{s:g}' for s in seconds) or 'nothing'} s")

    def set_exception(self, name: str, code: int | None) -> None:
        """Answer every request to the panel with Modbus exception ``code`` (None: behave)."""
        self.panels[name].exception = None if code is None else ExcCodes(code)
        self.say(f"{name}: " + (f"answers exception {code}" if code else "answers normally"))

    # --- plumbing ------------------------------------------------------------------------------
    def _endpoints(self, port: int | None) -> list[_Endpoint]:
        return [e for e in self.endpoints if port is None or e.port == port]

    async def _listen(self, endpoint: _Endpoint, port: int) -> None:
        devices = [self._sim_device(panel) for panel in self.panels.values() if panel.endpoint is endpoint]
        devices.append(self._unknown_unit_device(endpoint))
        server = ModbusTcpServer(devices, address=(self.host, port), framer=FRAMERS[endpoint.spec.framer],
                                 trace_pdu=self._answer_tamperer(endpoint))
        # Bad requests get the exception a Modbus device answers, not pymodbus' "80 01".
        server.decoder = RefusingDecoder(lambda: self._hold_if_silent(endpoint))
        await server.serve_forever(background=True)
        endpoint.server = server
        endpoint.port = server.transport.sockets[0].getsockname()[1]
        units = ", ".join(f"{p.model.name} (unit {p.unit_id}, {p.model.profile.profile})"
                          for p in self.panels.values() if p.endpoint is endpoint)
        self.say(f"listening on {self.host}:{endpoint.port} ({endpoint.spec.framer}): {units}")

    async def _close(self, endpoint: _Endpoint) -> None:
        if endpoint.server is not None:
            server, endpoint.server = endpoint.server, None
            await server.shutdown()
            self.say(f"port {endpoint.port} closed")

    def _answer_tamperer(self, endpoint: _Endpoint) -> Callable:
        """pymodbus' documented PDU hook, used to spoil answers of misbehaving panels."""
        units = {p.unit_id: p for p in self.panels.values() if p.endpoint is endpoint}

        def tamper(sending: bool, pdu):
            panel = units.get(pdu.dev_id)
            if not sending or panel is None or panel.answer_fault is None or pdu.isError():
                return pdu
            if panel.answer_fault == "wrong_unit":
                pdu.dev_id = panel.unit_id % 247 + 1
            elif panel.answer_fault == "short":
                if pdu.registers:
                    pdu.registers = pdu.registers[:-1]
                elif len(pdu.bits) > 8:
                    pdu.bits = pdu.bits[:-8]  # bits travel in whole bytes
            return pdu

        return tamper

    def _sim_device(self, panel: _Panel) -> SimDevice:
        """pymodbus device whose registers mirror the panel model on every request."""
        model = panel.model
        layout: dict[Table, list[SimData]] = {table: [] for table in Table}
        for block in model.profile.blocks:
            if block.table.is_bits:
                layout[block.table].append(
                    SimData(block.start, values=[False] * block.count, datatype=DataType.BITS))
            else:
                layout[block.table].append(SimData(block.start, count=block.count, datatype=DataType.REGISTERS))
        for command in model.profile.commands:  # command registers outside the polled blocks
            if not any(b.table == command.table and b.start <= command.address < b.end for b in model.profile.blocks):
                layout[command.table].append(
                    # One bit each: two command coils side by side must not overlap.
                    SimData(command.address, values=[False], datatype=DataType.BITS) if command.table.is_bits
                    else SimData(command.address, count=1, datatype=DataType.REGISTERS))
        for table, blocks in layout.items():
            blocks.sort(key=lambda data: data.address)
            if not blocks:  # pymodbus needs something in every table; the action refuses it
                blocks.append(SimData(0, values=[False] * 16, datatype=DataType.BITS) if table.is_bits
                              else SimData(0, datatype=DataType.INVALID))

        async def action(function_code, start, address, count, registers, values):
            return await self._serve(panel, function_code, start, address, count, registers, values)

        return SimDevice(panel.unit_id, simdata=(layout[Table.coil], layout[Table.discrete],
                                                 layout[Table.holding], layout[Table.input]), action=action)

    def _unknown_unit_device(self, endpoint: _Endpoint) -> SimDevice:
        """Unit 0 is pymodbus' catch-all: answer unknown unit ids as a gateway does (0x0B)."""
        top = max((b.end for p in endpoint.spec.panels for b in p.profile.blocks), default=1)

        async def action(*_args):
            await self._hold_if_silent(endpoint)
            return ExcCodes.GATEWAY_NO_RESPONSE

        return SimDevice(0, simdata=[SimData(0, count=max(top, 16), datatype=DataType.REGISTERS)], action=action)

    async def _serve(self, panel: _Panel, function_code, start, address, count, registers, values):
        await self._hold_if_silent(panel.endpoint)
        if panel.answer_delays:
            await asyncio.sleep(panel.answer_delays.pop(0))
        panel.requests += 1
        if panel.exception is not None:
            return panel.exception
        table = _TABLE_OF_FUNCTION.get(function_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        model = panel.model
        if table.is_bits:
            # pymodbus hands bit tables over as 16-bit words: count is in words, start is a word.
            first_word = address // 16
            if not model.serves(table, address, 1):
                return ExcCodes.ILLEGAL_ADDRESS
            if values is not None:
                self._obeyed(panel, model.write(table, address, values))
                return None
            for word in range(first_word, first_word + count):
                bits = [model.registers[table].get(word * 16 + i, 0) for i in range(16)]
                registers[word - start] = sum(1 << i for i, bit in enumerate(bits) if bit)
            return None
        if not model.serves(table, address, len(values) if values is not None else count):
            return ExcCodes.ILLEGAL_ADDRESS
        if values is not None:
            self._obeyed(panel, model.write(table, address, values))
            return None
        registers[address - start:address - start + count] = model.read(table, address, count)
        return None

    def _obeyed(self, panel: _Panel, commands) -> None:
        for command in commands:
            self.say(f"{panel.model.name}: command {command.name} ({command.table.value} {command.address} := "
                     f"{command.value})")

    @staticmethod
    async def _hold_if_silent(endpoint: _Endpoint) -> None:
        if not endpoint.answering:
            await endpoint.resume.wait()
