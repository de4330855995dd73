"""A simulated fire panel's registers, driven by what happens to it (sans-IO).

The model holds every register the profile's blocks cover and sets them the way the profile says
a real panel would: :meth:`PanelModel.raise_condition` finds the word (zone, point or panel) whose
decoding has a condition for the event and sets its bit / enum value / measurement.

A write of a command's value to one of the profile's command registers (``commands:``) makes the
panel act as a real one does on that key: ``reset`` clears every alarm, fault and silence (not
power), ``silence`` sets the panel's ``fire.silenced`` condition where the profile has one,
``acknowledge`` changes no register. Every command taken is kept in :attr:`PanelModel.commands`;
the command register reads 0 again afterwards (a key press, not a state).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from adapters.modbus.profile import Command, Condition, Profile, SignalInstance, Table

__all__ = ["PanelModel", "ScenarioError"]


class ScenarioError(ValueError):
    """A requested change does not fit the panel's profile (no such zone, event, ...)."""


class PanelModel:
    """Register image of one panel (one Modbus unit)."""

    def __init__(self, name: str, profile: Profile) -> None:
        self.name = name
        self.profile = profile
        self.registers: dict[Table, dict[int, int]] = {table: {} for table in Table}
        for block in profile.blocks:
            for address in range(block.start, block.end):
                self.registers[block.table][address] = 0
        self._commands = {(c.table, c.address): c for c in profile.commands}
        for table, address in self._commands:
            self.registers[table].setdefault(address, 0)
        #: Names of the commands the panel took, in order.
        self.commands: list[str] = []
        self.reset(power_too=True)

    # --- Modbus access -------------------------------------------------------------------------
    def serves(self, table: Table, address: int, count: int) -> bool:
        held = self.registers[table]
        return all(a in held for a in range(address, address + count))

    def read(self, table: Table, address: int, count: int) -> list[int]:
        held = self.registers[table]
        return [held[a] for a in range(address, address + count)]

    def write(self, table: Table, address: int, values: Sequence[int | bool]) -> list[Command]:
        """Store written values; returns the commands the write gave (and carries them out)."""
        given = []
        for offset, value in enumerate(values):
            self.registers[table][address + offset] = int(value)
            command = self._commands.get((table, address + offset))
            if command is not None and (int(value) == command.value or (table.is_bits and value and command.value)):
                self.registers[table][address + offset] = 0
                self.obey(command.name)
                given.append(command)
        return given

    def obey(self, command: str) -> None:
        """Do what a panel does on ``command`` (reset, silence, acknowledge; others are only kept)."""
        self.commands.append(command)
        if command == "reset":
            self.reset()
        elif command == "silence":
            try:
                self.raise_condition("fire.silenced")
            except ScenarioError:
                pass  # a profile without a silenced indication: nothing to show

    # --- what happens to a panel ----------------------------------------------------------------
    def raise_condition(self, event: str, *, zone: int | None = None, point: int | None = None,
                        loop: int | None = None, on: bool = True) -> SignalInstance:
        """Make ``event`` hold (``on``) or end at the zone / point (or the panel if neither)."""
        instance, condition_key = self._find(event, zone=zone, point=point, loop=loop)
        signal = instance.signal
        table = self.registers[instance.table]
        word = table[instance.address]
        if signal.bits is not None:
            bit = 1 << condition_key
            table[instance.address] = (word | bit) if on else (word & ~bit)
        elif signal.enum is not None:
            if on:
                table[instance.address] = condition_key
            elif word == condition_key:
                table[instance.address] = 0
        else:
            threshold = signal.value.thresholds[condition_key]
            value = signal.value.normal
            if on:
                limit = threshold.below if threshold.below is not None else threshold.above
                value = limit - 1 if threshold.below is not None else limit + 1
            table[instance.address] = self._raw_of(instance, value)
        return instance

    def reset(self, power_too: bool = False) -> None:
        """Panel reset: clear every alarm, fault and silence; mains and battery stay as they are
        unless ``power_too`` (power is physics, not panel state)."""
        for instance in self.profile.instances():
            signal = instance.signal
            table = self.registers[instance.table]
            if signal.value is not None:
                if power_too or not _is_power(signal.value.thresholds):
                    table[instance.address] = self._raw_of(instance, signal.value.normal)
            elif signal.bits is not None:
                keep = 0 if power_too else sum(1 << b for b, c in signal.bits.items() if c.category == "power")
                table[instance.address] &= keep
            elif power_too or not _is_power(signal.enum.values()):
                table[instance.address] = 0

    def active_events(self) -> list[str]:
        """Human-readable list of what holds now (for the simulator's console)."""
        from adapters.modbus.tracker import decode_word

        return [f"{d.condition.event} {dict(i.labels) or 'panel'}" for i in self.profile.instances()
                for d in decode_word(i.signal, self.registers[i.table][i.address])]

    # --- helpers --------------------------------------------------------------------------------
    def _find(self, event: str, *, zone, point, loop) -> tuple[SignalInstance, int]:
        scope = "zone" if zone is not None else "point" if point is not None else "panel"
        wanted = {"zone": str(zone)} if zone is not None else {}
        if point is not None:
            wanted = {"point": str(point)} | ({"loop": str(loop)} if loop is not None else {})
        for instance in self.profile.instances():
            signal = instance.signal
            if signal.scope != scope or not wanted.items() <= dict(instance.labels).items():
                continue
            if signal.value is not None:
                candidates = dict(enumerate(signal.value.thresholds))
            else:
                candidates = signal.bits if signal.bits is not None else signal.enum
            for key, condition in candidates.items():
                if condition.event == event:
                    return instance, key
        if zone is not None:
            where = f"zone {zone}"
        elif point is not None:
            where = f"point {point}" + (f" on loop {loop}" if loop is not None else "")
        else:
            where = "the panel"
        raise ScenarioError(f"profile {self.profile.profile!r} has no {event!r} for {where}")

    @staticmethod
    def _raw_of(instance: SignalInstance, value: float) -> int:
        spec = instance.signal.value
        raw = round((value - spec.offset) / spec.scale)
        return raw & 0xFFFF if spec.signed else max(0, min(0xFFFF, raw))


def _is_power(conditions: Iterable[Condition]) -> bool:
    return any(c.category == "power" for c in conditions)
