"""Decode register values into conditions and detect their changes (sans-IO).

A :class:`PanelTracker` holds what one panel last reported. Feed it each read as it arrives
(:meth:`PanelTracker.feed`); it decodes the words the read covered and returns a
:class:`Transition` for every condition that appeared (raised) or went away (cleared). A word read
for the first time raises whatever is active and clears nothing, so a panel already in alarm when
the hub starts is reported, and a fire in zone 3 is one raise and one clear, not an event per poll.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from adapters.modbus.profile import Condition, Profile, Signal, SignalInstance, Table

__all__ = ["Decoded", "PanelTracker", "RegisterValueError", "Transition", "decode_word"]


class RegisterValueError(ValueError):
    """A read carried something that is not a 16-bit register (or bit) value."""


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A condition that holds for a word, with why (bit 11, value 2, below 21.0)."""

    key: str
    condition: Condition
    detail: tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class Transition:
    instance: SignalInstance
    decoded: Decoded
    raised: bool
    raw: int
    scaled: float | None = None


def scaled_value(signal: Signal, raw: int) -> float:
    spec = signal.value
    assert spec is not None
    number = raw - 0x10000 if spec.signed and raw & 0x8000 else raw
    return number * spec.scale + spec.offset


def decode_word(signal: Signal, raw: int) -> list[Decoded]:
    """Conditions that hold for one word of ``signal`` holding ``raw``."""
    if signal.bits is not None:
        return [Decoded(f"bit{bit}", cond, (("bit", str(bit)),))
                for bit, cond in sorted(signal.bits.items()) if raw >> bit & 1]
    if signal.enum is not None:
        cond = signal.enum.get(raw)
        return [Decoded(f"value{raw}", cond, (("value", str(raw)),))] if cond else []
    value = scaled_value(signal, raw)
    held = []
    for i, threshold in enumerate(signal.value.thresholds):
        if threshold.below is not None and value < threshold.below:
            held.append(Decoded(f"threshold{i}", threshold, (("below", f"{threshold.below:g}"),)))
        elif threshold.above is not None and value > threshold.above:
            held.append(Decoded(f"threshold{i}", threshold, (("above", f"{threshold.above:g}"),)))
    return held


class PanelTracker:
    """What one panel last said, and what changed since."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        # Several signals may share a word (different bits), so each address has a list.
        self._at: dict[tuple[Table, int], list[_Word]] = {}
        for instance in profile.instances():
            self._at.setdefault((instance.table, instance.address), []).append(_Word(instance))
        # Polls mostly return what the previous poll did: compare whole reads first.
        self._last_read: dict[tuple[Table, int], list[int | bool]] = {}

    def feed(self, table: Table, start: int, values: Sequence[int | bool]) -> list[Transition]:
        """Take one read of ``values`` from ``start`` in ``table``; return what changed."""
        values = list(values)
        if self._last_read.get((table, start)) == values:
            return []
        if not 0 <= start or start + len(values) > 0x10000:
            raise RegisterValueError(f"read of {len(values)} from {start} leaves the Modbus address space")
        transitions: list[Transition] = []
        for offset, raw in enumerate(values):
            if isinstance(raw, bool):
                raw = int(raw)
            if not isinstance(raw, int) or not 0 <= raw <= 0xFFFF:
                self._last_read.pop((table, start), None)
                raise RegisterValueError(f"{table.value} address {start + offset}: {raw!r} is not a 16-bit value")
            for word in self._at.get((table, start + offset), ()):
                if word.raw != raw:
                    transitions.extend(word.update(raw))
        self._last_read[(table, start)] = values
        return transitions

    def forget(self) -> None:
        """Forget every read, as a new tracker of the same profile would (cheaper than building
        one: the profile's address layout is kept). The next read of a word raises what it holds."""
        for words in self._at.values():
            for word in words:
                word.raw, word.held = None, {}
        self._last_read.clear()

    def active(self) -> list[tuple[SignalInstance, Decoded]]:
        """Conditions holding now (as last read)."""
        return [(word.instance, decoded) for words in self._at.values() for word in words
                for decoded in word.held.values()]


class _Word:
    """One decoded word's last raw value and the conditions it held."""

    __slots__ = ("instance", "raw", "held")

    def __init__(self, instance: SignalInstance) -> None:
        self.instance = instance
        self.raw: int | None = None  # never read yet
        self.held: dict[str, Decoded] = {}

    def update(self, raw: int) -> list[Transition]:
        signal = self.instance.signal
        now = {d.key: d for d in decode_word(signal, raw)}
        before, self.held, self.raw = self.held, now, raw
        scaled = scaled_value(signal, raw) if signal.value is not None else None
        return ([Transition(self.instance, d, True, raw, scaled) for k, d in now.items() if k not in before]
                + [Transition(self.instance, d, False, raw, scaled) for k, d in before.items() if k not in now])
