"""Request planning: exact coverage, protocol limits, as few requests as possible."""
from __future__ import annotations

from hypothesis import given, strategies as st

from adapters.modbus.planner import MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, plan_requests
from adapters.modbus.profile import Block, Table

blocks_strategy = st.lists(
    st.builds(
        lambda table, start, count, interval: Block(
            name="b", table=table, start=start, count=min(count, 0x10000 - start), interval=interval),
        st.sampled_from(list(Table)),
        st.integers(0, 0xFFFF),
        st.integers(1, 5000),
        st.sampled_from([0.5, 1.0, 5.0]),
    ),
    max_size=12,
)


def covered(items):
    return {(b.table, b.interval, a) for b in items for a in range(b.start, b.start + b.count)}


@given(blocks_strategy)
def test_requests_cover_exactly_the_blocks_within_limits(blocks):
    requests = plan_requests(blocks)
    assert covered(requests) == covered(blocks)
    for r in requests:
        assert 1 <= r.count <= (MAX_BITS_PER_READ if r.table.is_bits else MAX_REGISTERS_PER_READ)
    # No two requests read the same address.
    assert sum(r.count for r in requests) == len(covered(requests))


@given(blocks_strategy)
def test_request_count_is_minimal(blocks):
    # Minimum: every maximal contiguous run of one (table, interval) costs ceil(len / limit).
    addresses = sorted(covered(blocks), key=lambda t: (t[0].value, t[1], t[2]))
    runs, previous = [], None
    for table, interval, address in addresses:
        if previous == (table, interval, address - 1):
            runs[-1][1] += 1
        else:
            runs.append([table, 1])
        previous = (table, interval, address)
    minimum = sum(-(-length // (MAX_BITS_PER_READ if t.is_bits else MAX_REGISTERS_PER_READ)) for t, length in runs)
    assert len(plan_requests(blocks)) == minimum


def test_contiguous_blocks_merge_and_long_runs_split():
    blocks = [Block(name="a", start=0, count=100), Block(name="b", start=100, count=100),
              Block(name="c", start=300, count=5), Block(name="d", start=305, count=1, interval=2.0)]
    requests = [(r.start, r.count, r.interval) for r in plan_requests(blocks)]
    assert requests == [(0, 125, 1.0), (125, 75, 1.0), (300, 5, 1.0), (305, 1, 2.0)]
    coils = plan_requests([Block(name="c", table=Table.coil, start=0, count=4500)])
    assert [(r.start, r.count) for r in coils] == [(0, 2000), (2000, 2000), (4000, 500)]
