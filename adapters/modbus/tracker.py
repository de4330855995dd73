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
    """What one panel last said, and what changed since.

    The panel's own state is its last read of each block and the conditions its words hold now;
    the profile's address layout (which decoded words sit at each address) is built once per
    profile and shared by every panel of it: a county's panels of one model no longer each hold
    their own copy (~130 KiB a panel, bench/bench_memory.py --heap)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._at = layout_of(profile)
        # Polls mostly return what the previous poll did: compare whole reads first, then words.
        self._last_read: dict[tuple[Table, int], list[int]] = {}
        #: Conditions held now, by the id of the decoded word (SignalInstance, in the layout) holding them.
        self._held: dict[int, dict[str, Decoded]] = {}

    def feed(self, table: Table, start: int, values: Sequence[int | bool]) -> list[Transition]:
        """Take one read of ``values`` from ``start`` in ``table``; return what changed."""
        values = [int(raw) if isinstance(raw, bool) else raw for raw in values]
        previous = self._last_read.get((table, start))
        if previous == values:
            return []
        if not 0 <= start or start + len(values) > 0x10000:
            raise RegisterValueError(f"read of {len(values)} from {start} leaves the Modbus address space")
        for offset, raw in enumerate(values):
            if not isinstance(raw, int) or not 0 <= raw <= 0xFFFF:
                self._last_read.pop((table, start), None)
                raise RegisterValueError(f"{table.value} address {start + offset}: {raw!r} is not a 16-bit value")
        if previous is not None and len(previous) != len(values):
            previous = None
        transitions: list[Transition] = []
        at = self._at
        for offset, raw in enumerate(values):
            if previous is not None and previous[offset] == raw:
                continue  # (a word read by two blocks is decided by what it holds: raising twice is not possible)
            for instance in at.get((table, start + offset), ()):
                transitions.extend(self._update(instance, raw))
        self._last_read[(table, start)] = values
        return transitions

    def _update(self, instance: SignalInstance, raw: int) -> list[Transition]:
        signal = instance.signal
        now = {d.key: d for d in decode_word(signal, raw)}
        before = self._held.get(id(instance), _NOTHING_HELD)
        if now:
            self._held[id(instance)] = now
        else:
            self._held.pop(id(instance), None)
        if not now and not before:
            return []
        scaled = scaled_value(signal, raw) if signal.value is not None else None
        return ([Transition(instance, d, True, raw, scaled) for k, d in now.items() if k not in before]
                + [Transition(instance, d, False, raw, scaled) for k, d in before.items() if k not in now])

    def forget(self) -> None:
        """Forget every read, as a new tracker of the same profile would. The next read of a word
        raises what it holds."""
        self._last_read.clear()
        self._held.clear()

    def active(self) -> list[tuple[SignalInstance, Decoded]]:
        """Conditions holding now (as last read), in profile order."""
        return [(instance, decoded) for instances in self._at.values() for instance in instances
                if id(instance) in self._held for decoded in self._held[id(instance)].values()]


_NOTHING_HELD: dict[str, Decoded] = {}

#: The address layout of each profile seen, by id (the profile is kept with it, so the id stays
#: its own). Bounded: profiles come from configuration, a handful per hub.
_LAYOUTS: dict[int, tuple[Profile, dict[tuple[Table, int], tuple[SignalInstance, ...]]]] = {}
_LAYOUTS_KEPT = 256


def layout_of(profile: Profile) -> dict[tuple[Table, int], tuple[SignalInstance, ...]]:
    """The decoded words at each address of ``profile`` (several signals may share a word, on
    different bits), built once per profile."""
    known = _LAYOUTS.get(id(profile))
    if known is not None and known[0] is profile:
        return known[1]
    at: dict[tuple[Table, int], list[SignalInstance]] = {}
    for instance in profile.instances():
        at.setdefault((instance.table, instance.address), []).append(instance)
    layout = {address: tuple(instances) for address, instances in at.items()}
    if len(_LAYOUTS) >= _LAYOUTS_KEPT:
        _LAYOUTS.clear()
    _LAYOUTS[id(profile)] = (profile, layout)
    return layout
