"""Test plumbing shared by every suite.

pytest-twisted installs the asyncio reactor (``--reactor=asyncio`` in pyproject), so Twisted,
grpc.aio, pymodbus and pysnmp share one loop, as in the hub. Tests and fixtures may be plain
``async def`` coroutines: they run as asyncio tasks on that loop.
"""
from __future__ import annotations

import asyncio
import inspect

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from hypothesis import HealthCheck, settings

from hub.cli import logs

logs.configure("debug", "console")

# Machines here are small and shared: time limits per example would only make tests flaky.
settings.register_profile("campus-hub", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("campus-hub")


def run_on_loop(awaitable):
    """Run a coroutine on the reactor's asyncio loop from synchronous test code; return its result."""
    return pytest_twisted.blockon(Deferred.fromFuture(asyncio.ensure_future(awaitable)))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_on_loop(pyfuncitem.obj(**kwargs))
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    """Async fixtures (``async def`` returning or yielding once) run on the reactor's loop."""
    func = fixturedef.func
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return None
    kwargs = {name: request.getfixturevalue(name) for name in fixturedef.argnames}
    if inspect.isasyncgenfunction(func):
        agen = func(**kwargs)
        value = run_on_loop(agen.__anext__())

        def finish():
            try:
                run_on_loop(agen.__anext__())
            except StopAsyncIteration:
                pass
            else:
                raise RuntimeError(f"async fixture {func.__name__} yielded more than once")

        request.addfinalizer(finish)
    else:
        value = run_on_loop(func(**kwargs))
    fixturedef.cached_result = (value, fixturedef.cache_key(request), None)
    return value
