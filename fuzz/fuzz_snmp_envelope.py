"""The SNMP message header reader, the trap classifier, value rendering, the interface table
reader, the per-device watch and the bridge-table decoders on varbinds made from the same bytes:
only their documented errors may escape."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

from adapters.snmp.envelope import EnvelopeError, peek_envelope  # noqa: E402
from adapters.snmp.fdb import decode_bridge_fdb, decode_qbridge_fdb  # noqa: E402
from adapters.snmp.ports import port_table  # noqa: E402
from adapters.snmp.taxonomy import Trap, classify_trap, render_value  # noqa: E402
from adapters.snmp.watch import DeviceWatch, PollResult  # noqa: E402
from fuzz import snmp_messages as messages  # noqa: E402


def _varbinds(data: bytes):
    """Turn bytes into a plausible varbind list: OIDs near the ones we interpret, mixed values."""
    bases = [(1, 3, 6, 1, 2, 1, 2, 2, 1), (1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1), (1, 3, 6, 1, 2, 1, 17, 4, 3, 1),
             (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1), (1, 3, 6, 1, 6, 3, 1, 1, 4, 1), (1, 3, 6, 1, 6, 3, 1, 1, 5),
             (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)]
    out = []
    for i in range(0, len(data) - 3, 4):
        chunk = data[i:i + 4]
        oid = bases[chunk[0] % len(bases)] + tuple(chunk[1:1 + chunk[1] % 8])
        kind = chunk[2] % 4
        value = (chunk[3], bytes(chunk), bases[chunk[3] % len(bases)] + (chunk[3] % 30,), None)[kind]
        out.append((oid, value))
    return out


def TestOneInput(data: bytes) -> None:
    try:
        peek_envelope(data)
    except EnvelopeError:
        pass
    varbinds = _varbinds(data)
    try:
        trap = Trap.from_varbinds(varbinds)
    except ValueError:
        trap = Trap(trap_oid=(1, 3, 6, 1, 6, 3, 1, 1, 5, data[0] % 8 if data else 0), varbinds=tuple(varbinds))
    classify_trap(trap)
    decode_bridge_fdb(varbinds)
    decode_qbridge_fdb(varbinds)
    for _, value in varbinds:
        assert isinstance(render_value(value), str)
    # an agent's answers as one poll's reading, then the same bytes as a trap, on one watch
    ports = port_table(dict(varbinds))
    numbers = {oid[-1]: value for oid, value in varbinds if oid and isinstance(value, int)}
    watch = DeviceWatch()
    for now in (0.0, 1.0):
        watch.on_poll(PollResult(uptime=len(data) * 1000 // (1 + int(now)), oper_status=numbers, admin_status=numbers,
                                 ports=ports), now)
        watch.on_trap(trap, now)


def seeds() -> dict[str, bytes]:
    return {
        "v2c-link-down": messages.V2C_LINK_DOWN,
        "v1-link-down": messages.V1_LINK_DOWN,
        "v3-authpriv-cold-start": messages.V3_AUTHPRIV_COLD_START,
        "v3-plain-cold-start": messages.V3_PLAIN_COLD_START,
        "issue19-v1-generic-trap-117": messages.V1_GENERIC_TRAP_117,
        "varbinds-of-every-kind": bytes(range(0, 96, 1)),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
