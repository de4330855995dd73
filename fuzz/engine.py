"""Start atheris on a target: instrument the code under test, then fuzz."""
from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path

#: Our code. Targets add the libraries that parse their input (pyasn1's BER decoder, pymodbus...).
OUR_PACKAGES = ("adapters.", "hub.", "fuzz.")


def scratch_dir(name: str) -> Path:
    """An empty directory for a target's files (in memory where there is /dev/shm), named by the
    process; those of runs that have ended are removed first (libFuzzer's exit skips atexit)."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    for old in base.glob(f"campus-hub-fuzz-{name}-*"):
        pid = old.name.rpartition("-")[2]
        if pid.isascii() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = base / f"campus-hub-fuzz-{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _in_packages(function: types.FunctionType, packages: tuple[str, ...]) -> bool:
    module = getattr(function, "__module__", None) or ""
    return module in sys.modules and (module + ".").startswith(packages)


def instrument(packages: Iterable[str] = ()) -> int:
    """Add coverage instrumentation to every loaded function of ``packages`` and of our code.

    Like ``atheris.instrument_all()``, which works after the imports, but limited to the code
    the input reaches: instrument_all patches every function loaded (stdlib, pydantic, grpc...),
    ~5000 of them, which takes 90 s before a target's first execution.
    """
    import atheris

    prefixes = OUR_PACKAGES + tuple(p.rstrip(".") + "." for p in packages)
    functions = [obj for obj in gc.get_objects()
                 if isinstance(obj, types.FunctionType) and _in_packages(obj, prefixes)]
    started = time.monotonic()
    for function in functions:
        try:
            atheris.instrument_func(function)
        except Exception as exc:  # noqa: BLE001 - an odd function must not stop the campaign
            print(f"INFO: not instrumented: {function.__qualname__}: {exc}", file=sys.stderr)
    print(f"INFO: instrumented {len(functions)} functions of {', '.join(p.rstrip('.') for p in prefixes)} "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return len(functions)


def fuzz(test_one_input: Callable[[bytes], None], packages: Iterable[str] = ()) -> None:
    """Fuzz ``test_one_input`` with libFuzzer's arguments from the command line.

    Called after the target has imported the code under test: without instrumentation libFuzzer
    sees no coverage and its corpus never grows past one byte.
    """
    import atheris  # only a fuzzing run needs it (the optional 'fuzz' extra)

    instrument(packages)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
