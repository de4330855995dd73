"""One simulated ONVIF camera: identity, clock, event properties, PullPoint subscriptions, PTZ head.

The protocol-free model behind the SOAP resource (simulators.camera.operations says what each
ONVIF operation does with it). PullMessages blocks for real: a pull on an empty
queue gets a Deferred that fires when an event arrives or its timeout passes.
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import time
import uuid
from collections.abc import Callable

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime

from adapters.onvif.events import Notification
from simulators.camera.event_kinds import EVENT_KINDS
from simulators.camera.ptz import PtzHead
from simulators.camera.relays import RelayBank

__all__ = ["CameraConfig", "SimulatedCamera", "PullPointSubscription", "EVENT_KINDS", "MISBEHAVIOURS", "HTTP_AUTH_SCHEMES"]

#: Ways a camera can misbehave on the wire (see docs/adapters/onvif.md).
MISBEHAVIOURS = ("none", "garbage", "entity_bomb", "huge", "half", "slow", "bad_fault", "html_error")
#: How the snapshot URL asks for the camera's user and password (HTTP, not WS-Security).
HTTP_AUTH_SCHEMES = ("digest", "basic", "none")

_MAX_QUEUE = 1000


@dataclasses.dataclass
class CameraConfig:
    name: str = "cam-1"
    username: str = "admin"
    password: str = "admin"
    manufacturer: str = "CampusSim"
    model: str = "SimCam-1"
    firmware: str = "1.0.0"
    serial: str = ""
    hardware_id: str = "sim-hw-1"
    #: Camera clock minus true time, seconds.
    clock_skew: float = 0.0
    #: Local time minus UTC, hours (8 in China); reported as a POSIX TZ such as "<+08>-8".
    utc_offset_hours: float = 0.0
    #: Leave UTCDateTime out of GetSystemDateAndTime (as some cameras do): local time only.
    local_time_only: bool = False
    #: WS-UsernameToken Created must be within this many seconds of the camera clock.
    auth_window: float = 60.0
    #: Longest PullMessages Timeout honoured, seconds.
    max_pull_timeout: float = 60.0
    #: Seconds a rebooting camera refuses connections.
    reboot_downtime: float = 0.2
    ptz: bool = True
    #: Offer a snapshot URI (some encoders have none and fault GetSnapshotUri).
    snapshot: bool = True
    #: HTTP authentication of the snapshot URL: "digest" (most cameras), "basic" or "none".
    snapshot_auth: str = "digest"
    #: MAC address of eth0 (GetNetworkInterfaces); derived from the name when empty.
    mac: str = ""
    #: Answer the deprecated GetCapabilities (newer firmware may only do GetServices).
    legacy_capabilities: bool = True
    #: How a subscription reacts to Unsubscribe: "one" (correct) or "all" (the field bug).
    unsubscribe_scope: str = "one"


class PullPointSubscription:
    def __init__(self, sid: str, termination: float) -> None:
        self.id = sid
        self.termination = termination  # camera clock
        self.queue: collections.deque[Notification] = collections.deque(maxlen=_MAX_QUEUE)
        self.waiter: defer.Deferred | None = None

    def push(self, notification: Notification) -> None:
        self.queue.append(notification)
        self.wake()

    def take(self, limit: int) -> list[Notification]:
        return [self.queue.popleft() for _ in range(min(limit, len(self.queue)))]

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.called:
            waiter.callback(None)


class SimulatedCamera:
    """State of one camera; ``reactor`` provides timers for blocking pulls."""

    def __init__(self, config: CameraConfig, reactor: IReactorTime, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.reactor = reactor
        self._wall_clock = wall_clock
        if config.snapshot_auth not in HTTP_AUTH_SCHEMES:
            raise ValueError(f"snapshot_auth must be one of {', '.join(HTTP_AUTH_SCHEMES)}, not {config.snapshot_auth!r}")
        identity = uuid.uuid5(uuid.NAMESPACE_URL, "campus-hub-sim/" + config.name)
        self.endpoint = f"urn:uuid:{identity}"
        # Locally administered unicast (02:...), stable per camera name.
        self.mac = config.mac or "02:" + ":".join(f"{b:02x}" for b in identity.bytes[:5])
        self.subscriptions: dict[str, PullPointSubscription] = {}
        #: Current value of every event property: (topic, source) -> Notification. Every kind
        #: starts inactive, so a new pull point reports each one as Initialized, as the ONVIF event spec says.
        self.properties: dict[tuple[str, tuple], Notification] = {}
        for kind in EVENT_KINDS.values():
            source = ((kind.source_name, kind.source_token),)
            self.properties[(kind.topic, source)] = Notification(
                topic=kind.topic, utc_time=self.now(), operation="Changed", source=source,
                data=((kind.data_name, kind.value(False)),))
        self.ptz = PtzHead()
        self.relays = RelayBank()
        #: What the snapshot URL answers: picture, html, huge or hang (simulators.camera.snapshot).
        self.snapshot_mode = "picture"
        self.silent = False
        self.link_cut = False
        self._when_linked: list[Callable[[], None]] = []
        self.down_until = 0.0
        self.misbehaviour = "none"
        self.slow_delay = 2.0
        self.boot_count = 1
        self.requests = collections.Counter()
        self._ids = itertools.count(1)
        self._seen_nonces: collections.deque[bytes] = collections.deque(maxlen=4096)

    @property
    def scopes(self) -> list[tuple[str, str]]:
        """(``Fixed``/``Configurable``, URI) of every scope: GetScopes and WS-Discovery matches."""
        config = self.config
        return [
            ("Fixed", "onvif://www.onvif.org/type/video_encoder"),
            ("Fixed", "onvif://www.onvif.org/Profile/Streaming"),
            ("Fixed", f"onvif://www.onvif.org/hardware/{config.model}"),
            ("Configurable", f"onvif://www.onvif.org/name/{config.name}"),
        ]

    # --- clock ------------------------------------------------------------------------------
    def now(self) -> float:
        """The camera's clock (true time plus skew)."""
        return self._wall_clock() + self.config.clock_skew

    def is_down(self) -> bool:
        return self._wall_clock() < self.down_until

    # --- auth -----------------------------------------------------------------------------------
    def nonce_is_fresh(self, nonce: bytes) -> bool:
        """False for a replayed nonce (remembered for the auth window)."""
        if nonce in self._seen_nonces:
            return False
        self._seen_nonces.append(nonce)
        return True

    # --- subscriptions --------------------------------------------------------------------------
    def expire_subscriptions(self) -> None:
        now = self.now()
        for sid in [sid for sid, sub in self.subscriptions.items() if sub.termination < now]:
            self.subscriptions.pop(sid).wake()

    def subscribe(self, termination: float) -> PullPointSubscription:
        self.expire_subscriptions()
        sub = PullPointSubscription(f"{next(self._ids)}-{self.boot_count}", termination)
        # Like real cameras, a new pull point first reports every property's current value.
        self.synchronize(sub)
        self.subscriptions[sub.id] = sub
        return sub

    def synchronize(self, sub: PullPointSubscription) -> None:
        """Queue every property's current value as ``Initialized`` (SetSynchronizationPoint)."""
        for current in self.properties.values():
            sub.push(dataclasses.replace(current, operation="Initialized"))

    def unsubscribe(self, sid: str) -> None:
        victims = list(self.subscriptions) if self.config.unsubscribe_scope == "all" else [sid]
        for victim in victims:
            sub = self.subscriptions.pop(victim, None)
            if sub is not None:
                sub.wake()

    def pull(self, sub: PullPointSubscription, timeout: float, limit: int) -> defer.Deferred:
        """Fires with the notifications: at once if any wait, else on the next one or timeout."""
        messages = sub.take(limit)
        if messages or timeout <= 0:
            return defer.succeed(messages)
        waiter = defer.Deferred()
        sub.waiter = waiter
        timer = self.reactor.callLater(min(timeout, self.config.max_pull_timeout), sub.wake)

        def collect(_):
            if timer.active():
                timer.cancel()
            if self.link_cut:
                # Take the messages only once the answer can travel: if the client gives up
                # meanwhile (the result is cancelled), they stay queued for its next pull.
                linked = defer.Deferred()
                self.when_linked(lambda: linked.callback(None))
                return linked.addCallback(lambda _: sub.take(limit))
            return sub.take(limit)

        def cancelled(failure):
            if timer.active():
                timer.cancel()
            if sub.waiter is waiter:
                sub.waiter = None
            return failure

        waiter.addCallbacks(collect, cancelled)
        return waiter

    # --- scenario actions -----------------------------------------------------------------------
    def trigger(self, kind: str, active: bool, *, source: str | None = None) -> Notification:
        """Change an event property (motion on/off...) and notify every subscription."""
        try:
            event_kind = EVENT_KINDS[kind]
        except KeyError:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}") from None
        return self.publish(event_kind.topic, ((event_kind.source_name, source or event_kind.source_token),),
                            ((event_kind.data_name, event_kind.value(active)),))

    def publish(self, topic: str, source: tuple, data: tuple, *, stateful: bool = True) -> Notification:
        """Send any notification (unknown topics included) to every subscription."""
        notification = Notification(topic=topic, utc_time=self.now(), operation="Changed", source=source, data=data)
        if stateful:
            self.properties[(topic, source)] = notification
        self.expire_subscriptions()
        for sub in self.subscriptions.values():
            sub.push(notification)
        return notification

    def reboot(self) -> None:
        """Lose every subscription (pull points need not survive a reboot) and go down briefly."""
        for sub in list(self.subscriptions.values()):
            sub.wake()
        self.subscriptions.clear()
        self.boot_count += 1
        self.down_until = self._wall_clock() + self.config.reboot_downtime

    def set_clock_skew(self, seconds: float) -> None:
        self.config.clock_skew = seconds

    def set_silent(self, silent: bool) -> None:
        """A hung camera: what it is asked meanwhile is never answered."""
        self.silent = silent

    def set_link(self, up: bool) -> None:
        """Cut (or restore) the camera's cable. Unlike a hung camera, nothing is lost: TCP carries
        requests and answers through once the link is back, and the pull points keep queueing
        what happens meanwhile (within their buffer), as a real camera's do."""
        self.link_cut = not up
        if up:
            waiting, self._when_linked = self._when_linked, []
            for resume in waiting:
                resume()

    def when_linked(self, resume: Callable[[], None]) -> None:
        """Call ``resume`` now, or once a cut link is back."""
        if self.link_cut:
            self._when_linked.append(resume)
        else:
            resume()

    def set_misbehaviour(self, mode: str, *, delay: float | None = None) -> None:
        if mode not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {mode!r}; expected one of {', '.join(MISBEHAVIOURS)}")
        self.misbehaviour = mode
        if delay is not None:
            self.slow_delay = delay
