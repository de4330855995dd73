"""Interpreter settings for a process that hosts the hub (an event loop plus worker threads)."""
from __future__ import annotations

import gc
import sys


#: Allocations between young-generation collections.
YOUNG_THRESHOLD = 100_000


def tune_for_hub() -> None:
    """Favour event latency and throughput over the interpreter's general-purpose defaults.

    - The loop shares the GIL with worker threads (journal readers, adapters' blocking calls such
      as ONVIF's zeep); the default 5 ms switch interval would let one of them hold an ACK back
      for up to 5 ms. 1 ms favours latency.
    - Every event allocates a few short-lived container objects (futures, tuples). With the
      default collector thresholds, full collections re-scan the hundreds of thousands of objects
      that libraries created at import (about 0.1 s each, over a tenth of the hub's time at
      30,000 events/s). Those objects live as long as the process, so they are moved out of the
      collector's sight (gc.freeze) once the hub has started.
    - Young collections run every YOUNG_THRESHOLD allocations instead of 700: most of an event's
      objects are gone by then and are never scanned (at 50,000 events/s, collection time fell
      from 350 to 100 ms per 300,000 events; each young collection takes about 5 ms).
      Cycles are still collected.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, YOUNG_THRESHOLD), max(second, 50), third)


def freeze_startup_objects() -> None:
    """Exempt everything alive now (imported modules, configuration) from future collections.

    Only the first hub of a process does this: a process that starts hubs one after another
    (tests, the demo) must not pin whatever the earlier ones left alive."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


_frozen = False
