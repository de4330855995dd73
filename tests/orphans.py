"""Hub processes that tests start in their own session die with the test process.

A test that kills its hub with kill -9 starts it in its own process group (so the group, the
journal store included, can be killed at once). Such a hub outlives a test process that is itself
killed (an outer timeout, Ctrl-C twice): three were found still running, polling their devices,
an hour after their test runs. The kernel kills it when the process that started it exits."""
from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A ``preexec_fn``: the child gets SIGKILL when its parent exits (Linux)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
