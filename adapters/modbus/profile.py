"""Device profiles: a fire panel's Modbus register map, as data.

A profile (YAML in ``config/profiles/``) says which register ranges to poll and how often
(``blocks``), and how to decode registers into conditions (``signals``): bits of a status word,
enumerated values, or a scaled measurement with thresholds. Each condition names the event it
raises while present and clears when gone. See docs/adapters/modbus.md for the format.

:func:`load_profile` validates a file and raises :class:`ProfileError` listing every problem as
``file:line:column: path: what is wrong; expected what is right`` (read and worded by the hub
config's own machinery, so ``campus-hub check`` reports a broken profile named in the config at
the profile's lines); :class:`Profile` then expands signals into :class:`SignalInstance` (one per
zone / point / panel word) for the decoder.
"""
from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from hub.config.problems import ConfigError, Problem
from hub.config.source import Document, read_yaml_file
from hub.config.yaml_model import load_yaml_model
from hub.events import CATEGORY_CHOICES, SEVERITY_CHOICES

__all__ = [
    "Block", "Command", "Condition", "Profile", "ProfileError", "Signal", "SignalInstance", "Table", "UnknownProfile",
    "ProfileName", "load_profile", "parse_profile", "resolve_profile", "MAX_ADDRESS", "DEFAULT_PROFILE_DIR",
]

MAX_ADDRESS = 0xFFFF
#: Where profile names (``profile: generic``) are looked up unless configured otherwise.
DEFAULT_PROFILE_DIR = Path(__file__).resolve().parents[2] / "config" / "profiles"
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class Table(str, enum.Enum):
    """The four Modbus data tables."""

    holding = "holding"    # 4x, function 3
    input = "input"        # 3x, function 4
    coil = "coil"          # 0x, function 1
    discrete = "discrete"  # 1x, function 2

    @property
    def is_bits(self) -> bool:
        return self in (Table.coil, Table.discrete)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """What a decoded state means: the event raised while it holds and cleared when it ends."""

    event: str = Field(description="Dotted event type raised/cleared, e.g. fire.alarm, power.ac_loss.")
    category: str = Field(
        "", description=f"Event category ({', '.join(CATEGORY_CHOICES)}); default: the event type's first word."
    )
    severity: str = Field("major", description=f"Severity: {', '.join(SEVERITY_CHOICES)}.")
    text: str = Field("", description="Human-readable label copied into the event's attributes.")

    @pydantic.field_validator("event")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not _EVENT_TYPE.match(value):
            raise ValueError(f"event type must be dotted lower-case words like 'fire.alarm', got {value!r}")
        return value

    @pydantic.field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value not in SEVERITY_CHOICES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITY_CHOICES)}, got {value!r}")
        return value

    @pydantic.model_validator(mode="after")
    def _category(self) -> Condition:
        category = self.category or self.event.split(".", 1)[0]
        if category not in CATEGORY_CHOICES:
            raise ValueError(
                f"category {category!r} is not one of {', '.join(CATEGORY_CHOICES)}; "
                f"set 'category:' explicitly for event {self.event!r}"
            )
        object.__setattr__(self, "category", category)
        return self


class Threshold(Condition):
    """A condition on a scaled value: holds while the value is below or above a limit."""

    below: float | None = Field(None, description="Condition holds while the scaled value is < this.")
    above: float | None = Field(None, description="Condition holds while the scaled value is > this.")

    @pydantic.model_validator(mode="after")
    def _one_limit(self) -> Threshold:
        if (self.below is None) == (self.above is None):
            raise ValueError("a threshold needs exactly one of 'below:' or 'above:'")
        return self


class ScaledValue(_Strict):
    """A measurement: engineering value = raw * scale + offset."""

    scale: float = Field(1.0, description="Multiplier applied to the raw register value.")
    offset: float = Field(0.0, description="Added after scaling.")
    signed: bool = Field(False, description="Read the register as a signed 16-bit integer.")
    unit: str = Field("", description="Unit of the engineering value, e.g. V.")
    normal: float = Field(0.0, description="Value of a healthy panel (the simulator starts with it).")
    thresholds: list[Threshold] = Field(default_factory=list, description="Conditions on the value.")


class Block(_Strict):
    """A register range polled together at one interval."""

    name: str = Field(description="Name used in logs and metrics.")
    table: Table = Field(Table.holding, description="holding, input, coil or discrete.")
    start: int = Field(ge=0, le=MAX_ADDRESS, description="First address (0-based protocol address).")
    count: int = Field(ge=1, le=MAX_ADDRESS + 1, description="Number of registers (or bits for coil/discrete).")
    interval: float = Field(1.0, gt=0, le=7200, description="Poll interval in seconds (GB 50440: at most 2 h).")

    @pydantic.model_validator(mode="after")
    def _in_range(self) -> Block:
        if self.start + self.count - 1 > MAX_ADDRESS:
            raise ValueError(
                f"block ends at address {self.start + self.count - 1}, past the last Modbus address {MAX_ADDRESS}"
            )
        return self

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.start + self.count


class Signal(_Strict):
    """One status word (or ``repeat`` of them, one per zone / point) and how to decode it."""

    name: str = Field(description="Signal name, e.g. panel, zone, point.")
    scope: Literal["panel", "zone", "point"] = Field(
        "panel", description="panel: one word for the whole panel; zone/point: one per zone/point."
    )
    table: Table = Field(Table.holding, description="holding, input, coil or discrete.")
    address: int = Field(ge=0, le=MAX_ADDRESS, description="Address of the first word.")
    repeat: int = Field(1, ge=1, le=MAX_ADDRESS + 1, description="How many zones/points (words) follow.")
    stride: int = Field(1, ge=1, le=256, description="Addresses from one zone/point word to the next.")
    # Bounded like addresses: a zone number is printed into events (str() of a 4300-digit int raises).
    first: int = Field(1, ge=0, le=MAX_ADDRESS, description="Number of the first zone (or first address in a loop).")
    loop_size: int = Field(
        0, ge=0, le=MAX_ADDRESS + 1,
        description="Points only: addresses per loop; point i is loop i // loop_size + 1, address "
        "i % loop_size + first. 0: points are numbered like zones."
    )
    bits: dict[Annotated[int, Field(ge=0, le=15)], Condition] | None = Field(
        None, description="Bit number (0 = least significant) -> condition while the bit is set."
    )
    enum: dict[Annotated[int, Field(ge=0, le=0xFFFF)], Condition] | None = Field(
        None, description="Register value -> condition while the register holds that value."
    )
    value: ScaledValue | None = Field(None, description="Decode as a scaled measurement with thresholds.")

    @pydantic.model_validator(mode="after")
    def _one_decoding(self) -> Signal:
        given = [k for k in ("bits", "enum", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a signal needs exactly one of 'bits:', 'enum:' or 'value:', got {given or 'none'}")
        if self.table.is_bits and (self.bits is None or set(self.bits) - {0}):
            raise ValueError(f"a {self.table.value} signal is one bit per address: use 'bits:' with bit 0 only")
        if self.scope == "panel" and self.repeat != 1:
            raise ValueError("a panel-scope signal has one word; use scope zone or point with 'repeat:'")
        if self.loop_size and self.scope != "point":
            raise ValueError("'loop_size:' applies to scope point only")
        if self.last_address > MAX_ADDRESS:
            raise ValueError(f"signal ends at address {self.last_address}, past the last Modbus address {MAX_ADDRESS}")
        return self

    @property
    def last_address(self) -> int:
        return self.address + (self.repeat - 1) * self.stride

    def instances(self) -> Iterator[SignalInstance]:
        for index in range(self.repeat):
            yield SignalInstance(self, index, self.table, self.address + index * self.stride, _labels(self, index))

    @property
    def mask(self) -> int:
        """Bits of the word this signal reads (for overlap checks)."""
        if self.bits is not None:
            return sum(1 << bit for bit in self.bits)
        return 0xFFFF


@dataclasses.dataclass(frozen=True)
class SignalInstance:
    """One decoded word: a signal at one zone / point (or the panel)."""

    signal: Signal
    index: int
    table: Table
    address: int
    labels: tuple[tuple[str, str], ...]  # zone=3 or loop=1, point=17: copied into event attributes

    @property
    def key(self) -> str:
        """Stable identity of this word, e.g. ``zone[2]``."""
        return f"{self.signal.name}[{self.index}]"


_COMMAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Command(_Strict):
    """An operator command the panel takes as a write to one register or coil (a panel's
    "reset" / "silence" / "acknowledge" key), e.g. holding 2000 := 1."""

    name: str = Field(description="Command name, as operators and rules give it: reset, silence, acknowledge ...")
    table: Literal[Table.holding, Table.coil] = Field(
        Table.holding, description="holding (written with function 6) or coil (function 5).")
    address: int = Field(ge=0, le=MAX_ADDRESS, description="Address written (0-based protocol address).")
    value: int = Field(1, ge=0, le=0xFFFF, description="Value written (a coil: 0 off, anything else on).")
    safe_for_rules: bool = Field(
        False, strict=True, description="A linkage rule may send it unattended; otherwise only an operator "
        "(supervisor) may. Silencing a sounder can be safe; a reset never is (it clears a real fire).")
    text: str = Field("", description="What the panel does on it, for operators.")

    @pydantic.field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not _COMMAND_NAME.match(value):
            raise ValueError(f"a command name is a lower-case word like 'reset', got {value!r}")
        return value


class Profile(_Strict):
    """A fire panel register map."""

    profile: str = Field(description="Profile name, referenced from device options.")
    description: str = Field("", description="What panel or gateway this models, with its source.")
    vendor: str = Field("", description="Vendor and model, recorded as a device fact.")
    blocks: list[Block] = Field(min_length=1, description="What to poll, and how often.")
    signals: list[Signal] = Field(min_length=1, description="How to decode polled registers.")
    commands: list[Command] = Field(default_factory=list, description="Commands the panel takes (writes).")

    def command(self, name: str) -> Command | None:
        return next((command for command in self.commands if command.name == name), None)

    def instances(self) -> Iterator[SignalInstance]:
        """Every decoded word of the panel, in profile order."""
        for signal in self.signals:
            yield from signal.instances()


def _labels(signal: Signal, index: int) -> tuple[tuple[str, str], ...]:
    if signal.scope == "zone":
        return (("zone", str(signal.first + index)),)
    if signal.scope == "point":
        if signal.loop_size:
            return (("loop", str(index // signal.loop_size + 1)),
                    ("point", str(index % signal.loop_size + signal.first)))
        return (("point", str(signal.first + index)),)
    return ()


class ProfileError(ConfigError, ValueError):
    """A profile file is invalid; ``problems`` lists every problem, each at the profile's file:line.

    A ValueError too, so a pydantic validator that loads a profile can let it through: the hub
    config check then reports these problems at the profile's lines."""


class UnknownProfile(ValueError):
    """A profile name that names no file: the mistake is where the name was written."""


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file."""
    text, problems = read_yaml_file(path, "a readable profile .yaml file", what="profile")
    if text is None:
        raise ProfileError(problems)
    return parse_profile(text, str(path))


def resolve_profile(name_or_path: str, search_dirs: Sequence[Path] = (DEFAULT_PROFILE_DIR,)) -> Profile:
    """Load a profile given as a file path, or as a name looked up as ``<dir>/<name>.yaml``.

    Loaded profiles are cached per file and modification time: a site with 500 panels on one
    profile parses it once, and an edited file is read again.
    """
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        return _load_cached(Path(name_or_path))
    for directory in search_dirs:
        candidate = Path(directory) / f"{name_or_path}.yaml"
        if candidate.is_file():
            return _load_cached(candidate)
    known = sorted({p.stem for d in search_dirs if Path(d).is_dir() for p in Path(d).glob("*.yaml")})
    raise UnknownProfile(f"no profile named {name_or_path!r} in {', '.join(str(d) for d in search_dirs)}; "
                         f"expected one of: {', '.join(known) or '(none there)'}; or a path to a profile .yaml file")


_cache: dict[tuple[str, int, int], Profile] = {}


def _load_cached(path: Path) -> Profile:
    try:
        stat = path.stat()
    except OSError:
        return load_profile(path)  # reports the problem
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache[key] = load_profile(path)
    return _cache[key]


def _loads(name_or_path: str) -> str:
    resolve_profile(name_or_path)
    return name_or_path


#: A config field naming a profile that loads. Both errors are ValueErrors, so pydantic reports
#: them: an unknown name at the value, a broken profile file at its own file:line (ProfileError
#: is a hub ConfigError; see hub.config.errors).
ProfileName = Annotated[str, pydantic.AfterValidator(_loads)]


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate profile YAML text; ``source`` names it in error messages."""
    profile, doc, problems = load_yaml_model(text, source, Profile)
    if profile is None:
        raise ProfileError(problems)
    problems = _layout_problems(profile, doc)
    if problems:
        raise ProfileError(problems)
    return profile


def _layout_problems(profile: Profile, doc: Document) -> list[Problem]:
    """Checks across entries: overlapping blocks, overlapping signals, signals nobody polls."""
    problems: list[Problem] = []

    def add(path: tuple, message: str, expected: str) -> None:
        problems.append(doc.problem(path, message, expected))

    def line_of(path: tuple) -> int:
        return doc.mark(path)[0]

    blocks = sorted(enumerate(profile.blocks), key=lambda ib: (ib[1].table.value, ib[1].start))
    for (ia, a), (ib, b) in zip(blocks, blocks[1:]):
        if a.table == b.table and b.start < a.end:
            add(("blocks", ib), f"block {b.name!r} overlaps block {a.name!r} "
                f"(line {line_of(('blocks', ia))}) in the {a.table.value} table",
                "blocks that do not share addresses (merge them or move one)")
    names = {}
    for i, signal in enumerate(profile.signals):
        if signal.name in names:
            add(("signals", i, "name"), f"signal name {signal.name!r} is already used at line "
                f"{line_of(('signals', names[signal.name]))}", "a name no other signal uses")
        names.setdefault(signal.name, i)

    # (table, address) -> [(signal index, bits it reads)]
    readers: dict[tuple[Table, int], list[tuple[int, int]]] = {}
    reported: set[tuple[int, str]] = set()  # one message per signal and kind: its other words share the cause

    def _check_instance(i: int, instance: SignalInstance) -> None:
        name = instance.signal.name
        if (i, "unpolled") not in reported and not any(
            b.table == instance.table and b.start <= instance.address < b.end for b in profile.blocks
        ):
            reported.add((i, "unpolled"))
            add(("signals", i), f"signal {name!r} reads {instance.table.value} address {instance.address}, "
                "which no block polls", "a block under blocks: that covers the signal's addresses")
        where = (instance.table, instance.address)
        for other, mask in readers.get(where, ()):
            if mask & instance.signal.mask and (i, "overlap") not in reported:
                reported.add((i, "overlap"))
                add(("signals", i), f"signal {name!r} overlaps signal {profile.signals[other].name!r} (line "
                    f"{line_of(('signals', other))}) at {instance.table.value} address {instance.address}",
                    "signals that read different addresses, or different bits of one word")
        readers.setdefault(where, []).append((i, instance.signal.mask))

    for i, signal in enumerate(profile.signals):
        for instance in signal.instances():
            _check_instance(i, instance)
    _command_problems(profile, readers, add, line_of)
    return problems


def _command_problems(profile: Profile, readers: dict, add, line_of) -> None:
    """Commands have one name each and write no status word (a write over a status word would
    fake the panel's state until its next scan)."""
    named: dict[str, int] = {}
    for i, command in enumerate(profile.commands):
        if command.name in named:
            add(("commands", i, "name"), f"command {command.name!r} is already defined at line "
                f"{line_of(('commands', named[command.name]))}", "a name no other command uses")
        named.setdefault(command.name, i)
        for other, _mask in readers.get((command.table, command.address), ()):
            add(("commands", i, "address"), f"command {command.name!r} writes {command.table.value} address "
                f"{command.address}, which signal {profile.signals[other].name!r} (line "
                f"{line_of(('signals', other))}) reads", "a command register that no signal reads")
            break

