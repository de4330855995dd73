"""Playing a scenario's timeline: each step at its time, one readable line per step."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence

from simulators.campus.campus import SimulatedCampus
from simulators.campus.scenario import TimelineStep

__all__ = ["free_port", "play_timeline"]


async def play_timeline(campus: SimulatedCampus, steps: Sequence[TimelineStep], say: Callable[[str], None]) -> None:
    """Run ``steps`` at their ``at`` times (seconds from now). A step that waits for its device
    (a SIA transmitter waiting for its ACK) does not hold up the steps after it; steps of one SIA
    transmitter still go out in order, one at a time."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    running = []
    for step in sorted(steps, key=lambda s: s.at):
        delay = started + step.at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        running.append(asyncio.ensure_future(_one(campus, step, say)))
    await asyncio.gather(*running)


async def _one(campus: SimulatedCampus, step: TimelineStep, say: Callable[[str], None]) -> None:
    device = campus.plan.devices[step.device]
    try:
        text = await campus.apply(step)
    except Exception as exc:  # one failed step must not stop the timeline
        text = f"FAILED: {type(exc).__name__}: {exc}"
    text = text.removeprefix(f"{device.id}: ")
    note = f"  ({step.note})" if step.note else ""
    say(f"[t={step.at:6.1f}s] {device.school_id} {device.id} ({device.kind}, {device.family}): {step.do}: {text}{note}")


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port that is free now, for a listener the hub will open (the hub is another process)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
