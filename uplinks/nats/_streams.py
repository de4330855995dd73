"""The federation's JetStream streams: created or updated when the hub may manage them, checked
when an operator provisioned them, with an error naming every difference."""
from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from uplinks.nats._options import StreamOptions

__all__ = ["StreamMismatch", "ensure_streams", "wanted_streams"]


class StreamMismatch(Exception):
    """A provisioned stream's config differs from what the federation needs."""


def wanted_streams(prefix: str, options: StreamOptions) -> list[StreamConfig]:
    return [
        StreamConfig(name=name, subjects=[f"{prefix}.{lane}.>"], retention=RetentionPolicy.LIMITS,
                     storage=StorageType.FILE, num_replicas=options.replicas, max_age=options.max_age,
                     duplicate_window=options.duplicate_window)
        for name, lane in ((options.alarm_stream, "alarm"), (options.event_stream, "event"))
    ]


def differences(have: StreamConfig, want: StreamConfig) -> list[str]:
    found = []
    if sorted(have.subjects or []) != sorted(want.subjects or []):
        found.append(f"subjects {have.subjects} (expected {want.subjects})")
    if have.retention != want.retention:
        found.append(f"retention {getattr(have.retention, 'value', have.retention)} (expected limits)")
    if (have.num_replicas or 1) != want.num_replicas:
        found.append(f"replicas {have.num_replicas} (expected {want.num_replicas})")
    if abs((have.duplicate_window or 0) - want.duplicate_window) > 1e-3:
        found.append(f"duplicate_window {have.duplicate_window:g} s (expected {want.duplicate_window:g} s)")
    if abs((have.max_age or 0) - want.max_age) > 1e-3:
        found.append(f"max_age {have.max_age or 0:g} s (expected {want.max_age:g} s)")
    return found


async def ensure_streams(js: JetStreamContext, prefix: str, options: StreamOptions) -> list[str]:
    """Make the streams match (manage) or check them; returns what was done, one line each.
    Raises StreamMismatch naming every difference when they may not be changed."""
    done = []
    for want in wanted_streams(prefix, options):
        try:
            info = await js.stream_info(want.name)
        except NotFoundError:
            if not options.manage:
                raise StreamMismatch(f"stream {want.name} does not exist; expected it provisioned with subjects "
                                     f"{want.subjects} (or streams.manage: true)") from None
            await js.add_stream(want)
            done.append(f"created stream {want.name}")
            continue
        found = differences(info.config, want)
        if not found:
            continue
        if not options.manage:
            raise StreamMismatch(f"stream {want.name} differs from the federation's config: {'; '.join(found)}")
        await js.update_stream(want)
        done.append(f"updated stream {want.name}: {'; '.join(found)}")
    return done
