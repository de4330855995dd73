"""What a simulated camera does for each ONVIF operation: request element in, answer body out.

Operations are keyed by the request element's qualified name, since several services share local
names (every service has ``GetServiceCapabilities``). Anything else is answered as ONVIF says an
unimplemented optional action is: a ``env:Receiver/ter:ActionNotSupported`` fault (HTTP 500).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

from lxml import etree
from twisted.internet import defer

from adapters.onvif import pullpoint
from adapters.onvif.soap import NS, text_of
from simulators.camera.answers import device, events, media, ptz
from simulators.camera.camera import EVENT_KINDS, SimulatedCamera
from simulators.camera.media import PROFILES, VIDEO_SOURCE, StreamProfile, profile_named

__all__ = ["CameraOperations", "SoapFault", "PRE_AUTH", "SUBSCRIPTION_PREFIX", "SNAPSHOT_PATH"]

SUBSCRIPTION_PREFIX = "/onvif/subscription/"
SNAPSHOT_PATH = "/onvif/snapshot.jpg"



def local_name(tag: str) -> str:
    """The element name without its namespace. Not ``etree.QName``: it refuses the tag of an
    element whose namespace holds a brace, which lxml itself accepts (a client may send one)."""
    return tag.rpartition("}")[2]

def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


#: Operations ONVIF allows before authentication (access class PRE_AUTH).
PRE_AUTH = frozenset(_q("tds", name) for name in (
    "GetSystemDateAndTime", "GetCapabilities", "GetServices", "GetServiceCapabilities", "GetHostname"))


class SoapFault(Exception):
    """A fault to answer with; HTTP 400 for ``env:Sender``, 500 for ``env:Receiver`` (SOAP 1.2 HTTP binding)."""

    def __init__(self, code: str, subcodes: list[str], reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.code, self.subcodes, self.reason = code, subcodes, reason
        self.status = status if status is not None else (400 if code == "env:Sender" else 500)


def not_supported(operation: str) -> SoapFault:
    # The ONVIF Core generic fault; its reason text is what clients (Home Assistant) look for.
    return SoapFault("env:Receiver", ["ter:ActionNotSupported"], f"Optional Action Not Implemented: {operation}")


def _flag(body: etree._Element, path: str) -> bool:
    return text_of(body, path).lower() in ("true", "1")


class CameraOperations:
    """``base_url`` gives the camera's ``http://host:port``; ``host`` is the address it listens on
    (its network interface), ``rtsp_host`` the one put into stream URIs."""

    def __init__(self, camera: SimulatedCamera, *, base_url: Callable[[], str], host: str, rtsp_host: str,
                 echo: Callable[[str], None]) -> None:
        self.camera = camera
        self._base_url = base_url
        self._host = host
        self._rtsp_host = rtsp_host
        self._echo = echo
        self._service_handlers: dict[str, Callable[[etree._Element], str | defer.Deferred]] = {
            _q("tds", "GetSystemDateAndTime"): self._system_date_and_time,
            _q("tds", "GetDeviceInformation"): self._device_information,
            _q("tds", "GetCapabilities"): self._capabilities,
            _q("tds", "GetServices"): self._services,
            _q("tds", "GetServiceCapabilities"): lambda body: self._wrap("tds", device.service_capabilities()),
            _q("tds", "GetScopes"): lambda body: device.scopes(self.camera.scopes),
            _q("tds", "GetHostname"): lambda body: device.hostname(self.camera.config.name),
            _q("tds", "GetNetworkInterfaces"): self._network_interfaces,
            _q("tds", "GetRelayOutputs"): lambda body: device.relay_outputs(self.camera.relays.states),
            _q("tds", "SetRelayOutputState"): self._set_relay_output_state,
            _q("trt", "GetServiceCapabilities"): lambda body: self._wrap("trt", self._media_capabilities()),
            _q("trt", "GetVideoSources"): lambda body: media.video_sources(VIDEO_SOURCE),
            _q("trt", "GetVideoSourceConfigurations"):
                lambda body: media.video_source_configurations(VIDEO_SOURCE, profiles=len(PROFILES)),
            _q("trt", "GetVideoEncoderConfigurations"): lambda body: media.video_encoder_configurations(PROFILES),
            _q("trt", "GetProfiles"): lambda body: media.profiles(PROFILES, VIDEO_SOURCE, ptz=self.camera.config.ptz),
            _q("trt", "GetProfile"): self._profile,
            _q("trt", "GetStreamUri"): self._stream_uri,
            _q("trt", "GetSnapshotUri"): self._snapshot_uri,
            _q("tev", "GetServiceCapabilities"): lambda body: self._wrap("tev", events.service_capabilities()),
            _q("tev", "GetEventProperties"): lambda body: events.event_properties(EVENT_KINDS.values()),
            _q("tev", "CreatePullPointSubscription"): self._create_pull_point,
        }
        self._ptz_handlers: dict[str, Callable[[etree._Element], str]] = {
            _q("tptz", "GetServiceCapabilities"): lambda body: self._wrap("tptz", ptz.service_capabilities()),
            _q("tptz", "GetNodes"): lambda body: ptz.nodes(),
            _q("tptz", "GetPresets"): lambda body: ptz.presets(self._head(body)),
            _q("tptz", "GetStatus"): lambda body: ptz.status(self._head(body), self.camera.now()),
            _q("tptz", "GotoPreset"): self._goto_preset,
        }
        self._subscription_handlers = {
            _q("tev", "PullMessages"): self._pull_messages,
            _q("wsnt", "Renew"): self._renew,
            _q("wsnt", "Unsubscribe"): self._unsubscribe,
            _q("tev", "SetSynchronizationPoint"): self._synchronize,
        }

    def handle(self, path: str, body: etree._Element) -> str | defer.Deferred:
        """The answer body for request element ``body`` posted to ``path``; raises SoapFault."""
        operation = local_name(body.tag)
        if path.startswith(SUBSCRIPTION_PREFIX):
            handler = self._subscription_handlers.get(body.tag)
            if handler is None:
                raise not_supported(operation)
            return handler(path[len(SUBSCRIPTION_PREFIX):], body)
        handler = self._service_handlers.get(body.tag)
        if handler is None and self.camera.config.ptz:
            handler = self._ptz_handlers.get(body.tag)
        if handler is None:
            raise not_supported(operation)
        return handler(body)

    # --- device ---------------------------------------------------------------------------------
    def _system_date_and_time(self, body) -> str:
        config = self.camera.config
        return device.system_date_and_time(self.camera.now(), config.utc_offset_hours,
                                           local_time_only=config.local_time_only)

    def _device_information(self, body) -> str:
        config = self.camera.config
        return device.device_information(config.manufacturer, config.model, config.firmware,
                                         config.serial or config.name, config.hardware_id)

    def _capabilities(self, body) -> str:
        if not self.camera.config.legacy_capabilities:
            raise not_supported("GetCapabilities")
        return device.capabilities(self._base_url(), ptz=self.camera.config.ptz)

    def _services(self, body) -> str:
        entries = [
            (NS["tds"], "device_service", device.service_capabilities()),
            (NS["trt"], "media_service", self._media_capabilities()),
            (NS["tev"], "event_service", events.service_capabilities()),
        ]
        if self.camera.config.ptz:
            entries.append((NS["tptz"], "ptz_service", ptz.service_capabilities()))
        return device.services(self._base_url(), entries, include_capability=_flag(body, "tds:IncludeCapability"))

    def _network_interfaces(self, body) -> str:
        try:
            ipv4 = str(ipaddress.IPv4Address(self._host))
        except ValueError:  # listening on IPv6 or a name: no IPv4 part to tell
            ipv4 = None
        return device.network_interfaces(self.camera.mac, ipv4)

    @staticmethod
    def _wrap(prefix: str, capabilities: str) -> str:
        return f"<{prefix}:GetServiceCapabilitiesResponse>{capabilities}</{prefix}:GetServiceCapabilitiesResponse>"

    # --- media ----------------------------------------------------------------------------------
    def _media_capabilities(self) -> str:
        return media.service_capabilities(snapshot=self.camera.config.snapshot, profiles=len(PROFILES))

    @staticmethod
    def _profile_of(body, prefix: str = "trt") -> StreamProfile:
        token = text_of(body, f"{prefix}:ProfileToken")
        found = profile_named(token)
        if found is None:
            raise SoapFault("env:Sender", ["ter:InvalidArgVal", "ter:NoProfile"], f"no profile {token!r}")
        return found

    def _profile(self, body) -> str:
        return media.profile(self._profile_of(body), VIDEO_SOURCE, profiles=len(PROFILES), ptz=self.camera.config.ptz)

    def _stream_uri(self, body) -> str:
        profile = self._profile_of(body)
        uri = f"rtsp://{self._rtsp_host}:554/{self.camera.config.name}/{profile.stream_path}"
        return media.media_uri("GetStreamUriResponse", uri)

    def _snapshot_uri(self, body) -> str:
        if not self.camera.config.snapshot:
            raise not_supported("GetSnapshotUri")
        self._profile_of(body)
        return media.media_uri("GetSnapshotUriResponse", f"{self._base_url()}{SNAPSHOT_PATH}")

    def _set_relay_output_state(self, body) -> str:
        token = text_of(body, "tds:RelayOutputToken")
        state = text_of(body, "tds:LogicalState")
        if state not in ("active", "inactive"):
            raise SoapFault("env:Sender", ["ter:InvalidArgVal"], f"LogicalState must be active or inactive, not {state!r}")
        try:
            self.camera.relays.set(token, state == "active", self.camera.now())
        except KeyError:
            raise SoapFault("env:Sender", ["ter:InvalidArgVal", "ter:RelayToken"], f"no relay output {token!r}") from None
        self._echo(f"{self.camera.config.name}: relay {token} {state}")
        return device.set_relay_output_state()

    # --- PTZ ------------------------------------------------------------------------------------
    def _head(self, body):
        self._profile_of(body, "tptz")
        return self.camera.ptz

    def _goto_preset(self, body) -> str:
        profile = self._profile_of(body, "tptz")
        preset = text_of(body, "tptz:PresetToken")
        try:
            move = self.camera.ptz.goto_preset(profile.token, preset, self.camera.now())
        except KeyError:
            raise SoapFault("env:Sender", ["ter:InvalidArgVal", "ter:NoToken"], f"no preset {preset!r}") from None
        self._echo(f"{self.camera.config.name}: PTZ going to preset {preset} "
                   f"(pan {move.end.pan:g}, tilt {move.end.tilt:g}, zoom {move.end.zoom:g})")
        return ptz.goto_preset()

    # --- events ---------------------------------------------------------------------------------
    def _create_pull_point(self, body) -> str:
        camera = self.camera
        text = text_of(body, "tev:InitialTerminationTime") or "PT60S"
        sub = camera.subscribe(pullpoint.parse_termination(text, camera.now()))
        self._echo(f"{camera.config.name}: pull point {sub.id} created, {len(sub.queue)} initial messages")
        return pullpoint.create_subscription_response(
            f"{self._base_url()}{SUBSCRIPTION_PREFIX}{sub.id}", camera.now(), sub.termination)

    def _subscription(self, sid: str):
        camera = self.camera
        camera.expire_subscriptions()
        sub = camera.subscriptions.get(sid)
        if sub is None:
            raise SoapFault("env:Sender", ["wsrf-rw:ResourceUnknownFault"], f"no subscription {sid!r}")
        return sub

    def _pull_messages(self, sid: str, body) -> defer.Deferred:
        camera, sub = self.camera, self._subscription(sid)
        timeout, limit = pullpoint.parse_pull_messages_request(body)

        def respond(messages):
            if camera.subscriptions.get(sid) is not sub:
                raise SoapFault("env:Sender", ["wsrf-rw:ResourceUnknownFault"], f"subscription {sid} ended")
            return pullpoint.pull_messages_response(camera.now(), sub.termination, messages)

        return camera.pull(sub, timeout, max(1, limit)).addCallback(respond)

    def _renew(self, sid: str, body) -> str:
        camera, sub = self.camera, self._subscription(sid)
        sub.termination = pullpoint.parse_termination(text_of(body, "wsnt:TerminationTime") or "PT60S", camera.now())
        return pullpoint.renew_response(camera.now(), sub.termination)

    def _unsubscribe(self, sid: str, body) -> str:
        self._subscription(sid)
        self.camera.unsubscribe(sid)
        self._echo(f"{self.camera.config.name}: pull point {sid} unsubscribed "
                   f"(scope: {self.camera.config.unsubscribe_scope})")
        return pullpoint.unsubscribe_response()

    def _synchronize(self, sid: str, body) -> str:
        self.camera.synchronize(self._subscription(sid))
        return "<tev:SetSynchronizationPointResponse/>"
