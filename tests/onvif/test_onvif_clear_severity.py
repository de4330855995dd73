"""One rule for every adapter: a clear carries the severity of what it clears. ONVIF: every
stateful event kind of the camera simulator, raised and ended, pulled by the adapter over HTTP."""
from __future__ import annotations

from hub.events import Severity, State
from hub.spi.testing import eventually
from simulators.camera.camera import EVENT_KINDS

from .helpers import camera_spec, watching


async def test_every_clear_carries_the_severity_it_clears(sim):
    checked = []
    async with watching([camera_spec(sim["cam-1"])]) as (ctx, _):
        await eventually(lambda: sim["cam-1"].camera.requests["PullMessages"] >= 1, what="cam-1 pulling")
        for kind in EVENT_KINDS:
            sim["cam-1"].camera.trigger(kind, True)
            await ctx.wait_for(lambda: any(e.state == State.STATE_RAISED for e in ctx.events), what=f"{kind} raised")
            sim["cam-1"].camera.trigger(kind, False)
            await ctx.wait_for(lambda: any(e.state == State.STATE_CLEARED for e in ctx.events), what=f"{kind} cleared")
            raised, cleared = ctx.events
            assert raised.type == cleared.type
            checked.append((kind, raised.type, Severity.Name(raised.severity), Severity.Name(cleared.severity)))
            ctx.events.clear()
    assert len(checked) == len(EVENT_KINDS)
    assert all(raised == cleared for *_, raised, cleared in checked), checked
