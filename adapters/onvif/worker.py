"""One camera's life in the adapter: connect, pull events, renew, recover, report health.

The loop: sync the clock and read what the camera is (onvif-zeep, on the thread pool), create a
pull point and long-poll it on the reactor, renew ``renew_before`` seconds ahead of termination.
A fault on the pull point (lost after a reboot, expired) re-creates it; every other failure is a
failed check: after ``offline_after_failures`` in a row the camera is offline with the reason,
answers that are not ONVIF make it faulty at once. It retries with backoff and comes back alone.
"""
from __future__ import annotations

import asyncio
import os
import random
import time

from adapters.onvif import pullpoint
from adapters.onvif.client import CameraFacts, CameraSession
from adapters.onvif.errors import CameraError, FailureKind
from adapters.onvif.events import Notification
from adapters.onvif.mapping import EventStateTracker, MappedEvent
from adapters.onvif.options import CameraOptions, OnvifOptions
from adapters.onvif.setup_slots import SetupSlots
from adapters.onvif.shared_clients import SharedClients
from adapters.onvif.soap import Envelope, SoapError, format_datetime, username_token
from hub.events import State, new_event
from hub.spi import AdapterContext, Backoff, DeviceSpec

__all__ = ["CameraWorker"]


def _parsed(parse, envelope, operation: str):
    """Apply a sans-IO parser to an answer; a wrongly shaped answer is a bad response."""
    try:
        return parse(envelope)
    except SoapError as exc:
        raise CameraError(FailureKind.BAD_RESPONSE, str(exc), operation=operation) from None

#: Re-read the camera clock from pull answers when it drifts more than this from what we sign with.
_CLOCK_DRIFT_TOLERANCE = 5.0


class CameraWorker:
    def __init__(self, ctx: AdapterContext, options: OnvifOptions, device: DeviceSpec, clients: SharedClients,
                 setup_slots: SetupSlots) -> None:
        self.ctx, self.options, self.device = ctx, options, device
        self.setup_slots = setup_slots  # shared by the adapter's cameras, as are the clients
        self.clients = clients
        self.camera: CameraOptions = device.options
        self.log = ctx.log.bind(device=device.id)
        self.tracker = EventStateTracker()
        self.session: CameraSession | None = None
        self.facts = CameraFacts()
        self.failures = 0
        self.subscription: pullpoint.Subscription | None = None
        self._password = ""

    # --- the loop -------------------------------------------------------------------------------
    async def run(self) -> None:
        backoff = Backoff(self.options.retry_initial, self.options.retry_max)
        try:
            while True:
                try:
                    await self._connect()
                    backoff.succeeded()
                    if self.camera.events and self.facts.events_url:
                        await self._pull_events()
                    else:
                        await self._watch_health()
                except CameraError as exc:
                    self._failed(exc)
                except (OSError, ValueError) as exc:  # e.g. unreadable password file
                    self._failed(CameraError(FailureKind.UNREACHABLE, f"{type(exc).__name__}: {exc}"))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a surprise must not stop this camera, let alone the others
                    self.log.exception("onvif.worker_error")
                    self.ctx.metrics.count("worker_errors")
                    self._failed(CameraError(FailureKind.BAD_RESPONSE, f"unexpected {type(exc).__name__}"))
                await asyncio.sleep(backoff.failed())
        finally:
            await self._close()

    async def _connect(self) -> None:
        if self.session is None:
            self._password = await self.ctx.run_blocking(self.camera.resolve_password)
            self.session = CameraSession(self.camera.device_url, self.camera.username, self._password,
                                         timeout=self.options.request_timeout, max_bytes=self.options.max_response_bytes,
                                         transport=self.clients.blocking)
        async with self.setup_slots.turn(self.device.id):
            offset = await self.ctx.run_blocking(self.session.sync_clock)
            self.facts = await self.ctx.run_blocking(self.session.describe)
        self.ctx.set_device_facts(self.device.id, {**self.facts.as_dict(), "clock_offset_s": f"{offset:.0f}",
                                                   "clock_source": self.session.clock_source})
        self.ctx.metrics.gauge("clock_offset", offset, device=self.device.id)
        if not self.session.clock_known:
            # Tokens are then signed with hub time: a camera clock far from it refuses them.
            self.log.warning("onvif.camera_clock_unknown", reason=self.session.clock_source)
        self._healthy()
        self.log.info("onvif.connected", model=self.facts.model, clock_offset=round(offset), events=bool(self.facts.events_url))

    async def _watch_health(self) -> None:
        while True:
            await asyncio.sleep(self.options.health_interval)
            await self.ctx.run_blocking(self.session.probe)
            self._healthy()

    async def _pull_events(self) -> None:
        """Create a pull point and pull until it is gone. Failures other than a SOAP fault retry on
        the same pull point (a network hiccup does not kill a subscription) until it would have
        terminated; a fault or termination returns, and the caller makes a new one."""
        loop = asyncio.get_running_loop()
        options = self.options
        sub = self.subscription = _parsed(pullpoint.parse_create_subscription_response, await self._soap(
            self.facts.events_url, "CreatePullPointSubscription",
            pullpoint.create_subscription_request(options.subscription_lifetime)), "CreatePullPointSubscription")
        ends_at = loop.time() + (sub.termination_time - sub.current_time)
        self.ctx.metrics.count("subscriptions_created")
        self.log.info("onvif.subscribed", address=sub.address, terminates=format_datetime(sub.termination_time))
        self._healthy()
        backoff = Backoff(options.retry_initial, options.retry_max)
        # Hundreds of cameras subscribed at once would otherwise time their empty pulls out together.
        spread = random.uniform(0.5, 1.0)
        while True:
            try:
                if loop.time() >= ends_at - options.renew_before:
                    termination, current = _parsed(pullpoint.parse_renew_response, await self._soap(
                        sub.address, "Renew", pullpoint.renew_request(options.subscription_lifetime)), "Renew")
                    # Both times from the camera's clock when it gave them; else our estimate of it.
                    ends_at = loop.time() + termination - (current if current is not None else self._camera_now())
                    self.ctx.metrics.count("subscriptions_renewed")
                timeout = max(0.0, min(options.pull_timeout * spread, ends_at - options.renew_before - loop.time()))
                spread = 1.0
                result = _parsed(pullpoint.parse_pull_messages_response, await self._soap(
                    sub.address, "PullMessages", pullpoint.pull_messages_request(timeout, options.message_limit),
                    timeout=timeout + options.pull_grace if timeout else options.request_timeout), "PullMessages")
            except CameraError as exc:
                if exc.kind is FailureKind.FAULT:
                    # The pull point is gone (camera rebooted, subscription expired): make a new one.
                    self.log.warning("onvif.subscription_lost", reason=exc.reason)
                    self.ctx.metrics.count("subscriptions_lost")
                    self.subscription = None
                    return
                self._failed(exc)
                if loop.time() >= ends_at:
                    self.subscription = None  # it has terminated meanwhile
                    return
                if exc.kind is FailureKind.AUTH:  # the camera clock may have jumped: re-read it
                    await self._resync_clock()
                await asyncio.sleep(backoff.failed())
                continue
            backoff.succeeded()
            self._healthy()
            self._follow_clock(result.current_time)
            for notification in result.notifications:
                self._handle(notification)
            for topic, problem in result.rejected:
                self.log.warning("onvif.bad_notification", topic=topic, problem=problem)
                self.ctx.metrics.count("bad_notifications")

    async def _resync_clock(self) -> None:
        try:
            await self.ctx.run_blocking(self.session.sync_clock)
        except CameraError as exc:
            self.log.info("onvif.clock_unreadable", reason=exc.reason)

    # --- events ---------------------------------------------------------------------------------
    def _handle(self, notification: Notification) -> None:
        mapped = self.tracker.feed(notification)
        self.ctx.metrics.count("notifications", operation=notification.operation or "none")
        if mapped is None:
            return
        self.ctx.emit(self._event(mapped, notification)).add_done_callback(self._journaled)

    def _event(self, mapped: MappedEvent, notification: Notification):
        media = []
        if mapped.state != State.STATE_CLEARED:
            if self.facts.stream_uri:
                media.append(("rtsp", self.facts.stream_uri, "application/sdp"))
            if self.facts.snapshot_uri:
                media.append(("snapshot", self.facts.snapshot_uri, "image/jpeg"))
        occurred = mapped.utc_time - self._offset()
        self.ctx.metrics.observe("event_delay", max(0.0, time.time() - occurred))
        return new_event(
            device_id=self.device.id, type=mapped.type, category=mapped.category, severity=mapped.severity,
            state=mapped.state, occurred_at=occurred,
            attributes={**mapped.attributes, "camera_time": format_datetime(mapped.utc_time, millis=True)},
            raw_protocol="onvif", raw_data=notification.raw, media=media,
        )

    def _journaled(self, future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.log.error("onvif.emit_failed", error=str(future.exception()))
            self.ctx.metrics.count("emit_failures")

    # --- health ---------------------------------------------------------------------------------
    def _healthy(self) -> None:
        self.failures = 0
        self.ctx.device_seen(self.device.id)

    def _failed(self, exc: CameraError) -> None:
        self.failures += 1
        self.ctx.metrics.count("failures", kind=exc.kind.name.lower())
        self.log.warning("onvif.camera_failed", reason=exc.reason, failures=self.failures)
        if exc.kind is FailureKind.BAD_RESPONSE:
            self.ctx.device_faulty(self.device.id, exc.reason)
        elif self.failures >= self.options.offline_after_failures:
            self.ctx.device_offline(self.device.id, exc.reason)

    # --- clock and SOAP -------------------------------------------------------------------------
    def _offset(self) -> float:
        return self.session.clock_offset if self.session is not None else 0.0

    def _camera_now(self) -> float:
        return time.time() + self._offset()

    def _follow_clock(self, camera_time: float) -> None:
        observed = camera_time - time.time()
        if self.session is not None and abs(observed - self.session.clock_offset) > _CLOCK_DRIFT_TOLERANCE:
            self.log.info("onvif.clock_moved", old=round(self.session.clock_offset), new=round(observed))
            self.session.clock_offset = observed

    async def _soap(self, url: str, operation: str, body: str, *, timeout: float | None = None) -> Envelope:
        header = pullpoint.addressing_header(operation, url) + username_token(
            self.camera.username, self._password, created=self._camera_now(), nonce=os.urandom(16))
        return await self.clients.soap.call(url, operation, body, header,
                                            timeout=timeout or self.options.request_timeout)

    async def goto_preset(self, preset: str) -> None:
        if self.session is None:
            raise CameraError(FailureKind.UNREACHABLE, "camera not connected yet", operation="GotoPreset")
        await self.ctx.run_blocking(self.session.goto_preset, preset, self.camera.ptz_profile)

    def _connected(self, operation: str) -> CameraSession:
        if self.session is None:
            raise CameraError(FailureKind.UNREACHABLE, "camera not connected yet", operation=operation)
        return self.session

    async def set_relay(self, relay: str, active: bool) -> None:
        await self.ctx.run_blocking(self._connected("SetRelayOutputState").set_relay, relay, active)

    async def snapshot(self, max_bytes: int, timeout: float) -> tuple[str, bytes]:
        session = self._connected("snapshot")
        return await self.ctx.run_blocking(lambda: session.snapshot(max_bytes=max_bytes, timeout=timeout))

    async def _close(self) -> None:
        if self.options.unsubscribe_on_stop and self.subscription is not None:
            try:
                await asyncio.shield(self._soap(self.subscription.address, "Unsubscribe",
                                                pullpoint.unsubscribe_request(), timeout=2.0))
            except (CameraError, asyncio.CancelledError):
                pass
        if self.session is not None:
            self.session.close()
