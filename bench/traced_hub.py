"""``campus-hub`` with tracemalloc on, for bench.bench_memory: on SIGUSR1 the hub process writes
what its Python heap holds, grouped by package, as JSON to ``$CAMPUS_HUB_HEAP_REPORT``.

Three groupings: by the package whose code made the allocation (zeep, lxml's Python side, pysnmp,
twisted...), by the nearest frame of our own code on the stack (adapters.onvif, hub.journal...),
which says on whose behalf a library allocated, and by that frame's line (which call of ours). Native allocations (libxml2, grpc core, SQLite)
are not Python's and show only in RSS.

Usage: python -m bench.traced_hub run -c hub.yaml
"""
from __future__ import annotations

import collections
import functools
import json
import os
import signal
import sys
import tracemalloc

_FRAMES = 16
_OURS = ("adapters", "hub", "simulators")


@functools.lru_cache(maxsize=None)
def _package(filename: str) -> str:
    """``.../site-packages/zeep/xsd/foo.py`` -> ``zeep``; ``.../adapters/onvif/x.py`` -> ``adapters.onvif``."""
    parts = filename.replace("\\", "/").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1:]
            return rest[0].removesuffix(".py") if rest else "?"
    for index, part in enumerate(parts):
        if part in _OURS and index + 1 < len(parts):
            return f"{part}.{parts[index + 1].removesuffix('.py')}"
    if "/lib/python" in filename:
        return "stdlib"
    return "other"


@functools.lru_cache(maxsize=None)
def _our_path(filename: str) -> str:
    """``.../adapters/modbus/link.py`` -> ``adapters/modbus/link.py``."""
    parts = filename.replace("\\", "/").split("/")
    start = max(index for index, part in enumerate(parts) if part in _OURS)
    return "/".join(parts[start:])


def heap_report() -> dict:
    snapshot = tracemalloc.take_snapshot()
    by_package: collections.Counter = collections.Counter()
    by_owner: collections.Counter = collections.Counter()
    by_line: collections.Counter = collections.Counter()
    owners: dict = {}  # a traceback's owner and line, computed once per distinct traceback
    # The raw traces (domain, size, frames newest first, depth): building tracemalloc's Traceback
    # and Frame objects for each of millions of blocks takes minutes.
    for _, size, frames, *_ in snapshot.traces._traces:
        by_package[_package(frames[0][0])] += size
        known = owners.get(frames)
        if known is None:
            ours = next((f for f in frames if _package(f[0]).startswith(_OURS)), None)
            known = owners[frames] = (("startup/other", "startup/other") if ours is None else
                                      (_package(ours[0]), f"{_our_path(ours[0])}:{ours[1]}"))
        owner, line = known
        by_owner[owner] += size
        by_line[line] += size
    return {"traced_bytes": tracemalloc.get_traced_memory()[0],
            "by_package": dict(by_package.most_common(25)), "by_owner": dict(by_owner.most_common(25)),
            "by_line": dict(by_line.most_common(40))}


def _write_report(signum, frame) -> None:
    path = os.environ.get("CAMPUS_HUB_HEAP_REPORT")
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as out:
            json.dump(heap_report(), out)
        os.replace(tmp, path)


def main() -> int:
    tracemalloc.start(_FRAMES)
    signal.signal(signal.SIGUSR1, _write_report)
    from hub.cli import main as hub_main

    return hub_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
