"""Turn a profile's poll blocks into as few Modbus read requests as the protocol allows.

Blocks of the same table polled at the same interval that touch or overlap are merged, then cut
into requests no longer than one PDU can carry (125 registers, 2000 coils/inputs). Gaps are never
bridged: real panels answer a read across an unmapped address with an exception.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from adapters.modbus.profile import Block, Table

__all__ = ["MAX_BITS_PER_READ", "MAX_REGISTERS_PER_READ", "ReadRequest", "plan_requests"]

MAX_REGISTERS_PER_READ = 125  # Modbus Application Protocol v1.1b3, functions 3 and 4
MAX_BITS_PER_READ = 2000      # functions 1 and 2


@dataclasses.dataclass(frozen=True, order=True)
class ReadRequest:
    """One read: ``count`` registers (or bits) of ``table`` from ``start``, every ``interval`` s."""

    interval: float
    table: Table
    start: int
    count: int

    @property
    def end(self) -> int:
        return self.start + self.count


def limit_for(table: Table) -> int:
    return MAX_BITS_PER_READ if table.is_bits else MAX_REGISTERS_PER_READ


def plan_requests(blocks: Iterable[Block]) -> list[ReadRequest]:
    """Requests covering exactly the union of ``blocks``, grouped by (table, interval)."""
    runs: dict[tuple[Table, float], list[list[int]]] = {}
    for block in sorted(blocks, key=lambda b: (b.table.value, b.interval, b.start)):
        group = runs.setdefault((block.table, block.interval), [])
        if group and block.start <= group[-1][1]:
            group[-1][1] = max(group[-1][1], block.end)
        else:
            group.append([block.start, block.end])
    requests = []
    for (table, interval), spans in runs.items():
        limit = limit_for(table)
        for start, end in spans:
            for chunk in range(start, end, limit):
                requests.append(ReadRequest(interval, table, chunk, min(limit, end - chunk)))
    return sorted(requests)
