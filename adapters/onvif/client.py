"""Blocking ONVIF calls on onvif-zeep, for the hub's thread pool (never call these on the loop).

:class:`CameraSession` wraps onvif-zeep's ``ONVIFService`` for the device, media and PTZ services
of one camera. It signs WS-UsernameToken digests with the camera's clock (onvif-zeep's
``UsernameDigestTokenDtDiff``), bounds every response (time and size) and turns every failure into
a :class:`~adapters.onvif.errors.CameraError` saying why. WSDLs are parsed once per process.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import http.cookiejar
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import requests.adapters
import requests.auth
import onvif as _onvif_package
import zeep
import zeep.exceptions
from onvif.client import ONVIFService, UsernameDigestTokenDtDiff
from onvif.definition import SERVICES
from onvif.exceptions import ONVIFError
from zeep.transports import Transport
from zeep.wsdl import Document

from adapters.onvif.camera_clock import camera_utc_epoch
from adapters.onvif.errors import CameraError, FailureKind, fault_error
from adapters.onvif.soap import Fault

__all__ = ["BoundedTransport", "CameraSession", "CameraFacts", "WSDL_DIR", "wsdl_document"]

#: The ONVIF WSDL/XSD files shipped by the onvif-zeep wheel (a top-level ``wsdl/`` folder).
WSDL_DIR = os.path.join(os.path.dirname(os.path.dirname(_onvif_package.__file__)), "wsdl")

_documents: dict[str, Document] = {}
_documents_lock = threading.Lock()
# Responses are parsed with entity/DTD/external loading forbidden and libxml2's size limits on.
_SETTINGS = zeep.Settings(strict=False, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)


def wsdl_document(service: str) -> Document:
    """The parsed WSDL of an onvif-zeep service name (``devicemgmt``, ``media``, ``ptz``...)."""
    with _documents_lock:
        document = _documents.get(service)
        if document is None:
            path = os.path.join(WSDL_DIR, SERVICES[service]["wsdl"])
            document = _documents[service] = Document(path, Transport(), settings=zeep.Settings())
        return document


class _ResponseTooLarge(Exception):
    pass


class BoundedTransport(Transport):
    """zeep transport with a total deadline and a size cap per response (hostile cameras).

    One is shared by every camera of an adapter (a requests session with its adapters and pool
    manager per camera was tens of KiB each, for calls made at setup and for a rare PTZ move or
    snapshot). Its pool keeps idle connections to the ``hosts`` most recently used cameras, at
    most ``per_host`` each; calls are never refused for want of a pooled connection. Cookies are
    refused: on a shared session one camera's cookie could go to another.
    """

    def __init__(self, *, timeout: float, max_bytes: int, hosts: int = 16, per_host: int = 2) -> None:
        super().__init__(operation_timeout=timeout, timeout=timeout)
        self.max_bytes = max_bytes
        self.session.trust_env = False  # no proxies from the environment for LAN cameras
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        pooled = requests.adapters.HTTPAdapter(pool_connections=hosts, pool_maxsize=per_host)
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, pooled)

    def close(self) -> None:
        self.session.close()

    def post(self, address, message, headers):
        deadline = time.monotonic() + self.operation_timeout
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout,
                                     stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_content(16384):
                body += chunk
                if len(body) > self.max_bytes:
                    raise _ResponseTooLarge(f"response exceeds {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise requests.Timeout("response took too long")
            response._content = bytes(body)
        finally:
            response.close()
        return response


@dataclasses.dataclass
class CameraFacts:
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""
    events_url: str = ""
    media_url: str = ""
    ptz_url: str = ""
    profile_token: str = ""
    stream_uri: str = ""
    snapshot_uri: str = ""

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in dataclasses.asdict(self).items() if value}


def _classify(exc: BaseException, operation: str) -> CameraError:
    if isinstance(exc, ONVIFError) and exc.__context__ is not None:
        exc = exc.__context__
    if isinstance(exc, CameraError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        if not exc.code:  # zeep could not read a fault out of an error answer (HTML, mangled XML)
            return CameraError(FailureKind.BAD_RESPONSE, f"unreadable fault: {exc.message}", operation=operation)
        subcodes = tuple(getattr(code, "localname", str(code)) for code in (exc.subcodes or ()))
        return fault_error(Fault(code=str(exc.code or ""), subcodes=subcodes, reason=str(exc.message or "")), operation)
    if isinstance(exc, requests.Timeout):
        return CameraError(FailureKind.TIMEOUT, "no answer in time", operation=operation)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | _ResponseTooLarge):
        return CameraError(FailureKind.BAD_RESPONSE, str(exc), operation=operation)
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        kind = FailureKind.BAD_RESPONSE if "IncompleteRead" in text or "Connection broken" in text else FailureKind.UNREACHABLE
        return CameraError(kind, text[-160:], operation=operation)
    if isinstance(exc, zeep.exceptions.TransportError):
        return CameraError(FailureKind.BAD_RESPONSE, f"HTTP {exc.status_code}", operation=operation)
    if isinstance(exc, zeep.exceptions.Error | ValueError | AttributeError | TypeError | KeyError):
        return CameraError(FailureKind.BAD_RESPONSE, f"{type(exc).__name__}: {exc}", operation=operation)
    return CameraError(FailureKind.BAD_RESPONSE, f"{type(exc).__name__}: {exc}", operation=operation)


class CameraSession:
    """One camera's device/media/PTZ services. Every public method blocks.

    ``transport`` is the adapter's shared one; without it the session makes (and closes) its own.
    """

    def __init__(self, device_url: str, username: str, password: str, *, timeout: float, max_bytes: int,
                 transport: BoundedTransport | None = None) -> None:
        self.device_url = device_url
        self._username, self._password = username, password
        self._owns_transport = transport is None
        self._transport = transport or BoundedTransport(timeout=timeout, max_bytes=max_bytes)
        self._token = UsernameDigestTokenDtDiff(username, password, dt_diff=None, use_digest=True)
        self._services: dict[str, ONVIFService] = {}
        self.facts = CameraFacts()
        #: Where the camera's time came from (see adapters.onvif.camera_clock), and whether it is
        #: known at all (if not, tokens are signed with hub time).
        self.clock_source = "not asked yet"
        self.clock_known = False

    # --- clock ----------------------------------------------------------------------------------
    @property
    def clock_offset(self) -> float:
        """Camera clock minus ours, seconds (used to sign tokens with camera time)."""
        return 0.0 if self._token.dt_diff is None else self._token.dt_diff.total_seconds()

    @clock_offset.setter
    def clock_offset(self, seconds: float) -> None:
        self._token.dt_diff = _dt.timedelta(seconds=seconds)

    def sync_clock(self) -> float:
        """GetSystemDateAndTime (needs no auth); keeps and returns the camera's clock offset."""
        before = time.time()
        answer = self._call("devicemgmt", "GetSystemDateAndTime")
        after = time.time()
        try:
            camera_now, self.clock_source = camera_utc_epoch(answer)
        except (AttributeError, TypeError, ValueError, OverflowError):
            raise CameraError(FailureKind.BAD_RESPONSE, "GetSystemDateAndTime with an unreadable time",
                              operation="GetSystemDateAndTime") from None
        self.clock_known = camera_now is not None
        if camera_now is None:  # sign with our clock and hope it is close
            self.clock_offset = 0.0
            return 0.0
        # The answer has whole seconds: centre it, and call anything under that resolution no offset.
        offset = camera_now + 0.5 - (before + after) / 2
        self.clock_offset = 0.0 if abs(offset) < 1.0 else offset
        return self.clock_offset

    # --- discovery of what the camera is --------------------------------------------------------
    def describe(self) -> CameraFacts:
        """GetDeviceInformation, GetCapabilities, GetProfiles, GetStreamUri, GetSnapshotUri."""
        try:
            return self._describe()
        finally:
            # A zeep client with its bound service proxies is ~170 KiB per camera (bench.bench_memory)
            # and is needed again only for a rare PTZ call or clock resync: rebuilt then.
            self._services.clear()

    def _describe(self) -> CameraFacts:
        info = self._call("devicemgmt", "GetDeviceInformation")
        facts = CameraFacts(
            manufacturer=str(info.Manufacturer or ""), model=str(info.Model or ""),
            firmware=str(info.FirmwareVersion or ""), serial=str(info.SerialNumber or ""),
            hardware_id=str(info.HardwareId or ""),
        )
        try:
            capabilities = self._call("devicemgmt", "GetCapabilities", {"Category": "All"})
            facts.events_url = self._xaddr(capabilities, "Events")
            facts.media_url = self._xaddr(capabilities, "Media")
            facts.ptz_url = self._xaddr(capabilities, "PTZ")
        except CameraError as exc:
            if exc.kind is not FailureKind.FAULT:
                raise
        if not facts.media_url:  # GetCapabilities is deprecated: newer firmware may only do GetServices
            services = self._call("devicemgmt", "GetServices", {"IncludeCapability": False})
            for service in services or ():
                if service.Namespace == SERVICES["media"]["ns"]:
                    facts.media_url = str(service.XAddr)
                elif service.Namespace == SERVICES["events"]["ns"]:
                    facts.events_url = facts.events_url or str(service.XAddr)
                elif service.Namespace == SERVICES["ptz"]["ns"]:
                    facts.ptz_url = facts.ptz_url or str(service.XAddr)
        if facts.media_url:
            self._describe_media(facts)
        self.facts = facts
        return facts

    def _describe_media(self, facts: CameraFacts) -> None:
        """Profile, stream and snapshot URIs; a camera refusing one of them (a fault) still works,
        its alarms just carry fewer media references."""
        setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        try:
            profiles = self._call("media", "GetProfiles", url=facts.media_url)
            if not profiles:
                return
            facts.profile_token = str(profiles[0].token)
            facts.stream_uri = str(self._call("media", "GetStreamUri", {
                "StreamSetup": setup, "ProfileToken": facts.profile_token}, url=facts.media_url).Uri)
            facts.snapshot_uri = str(self._call("media", "GetSnapshotUri", {
                "ProfileToken": facts.profile_token}, url=facts.media_url).Uri)
        except CameraError as exc:
            if exc.kind is not FailureKind.FAULT:
                raise

    def goto_preset(self, preset: str, profile_token: str | None = None) -> None:
        """PTZ GotoPreset (returns once the camera accepted it, not when it arrived)."""
        if not self.facts.ptz_url:
            raise CameraError(FailureKind.FAULT, "camera has no PTZ service", operation="GotoPreset")
        self._call("ptz", "GotoPreset", {
            "ProfileToken": profile_token or self.facts.profile_token, "PresetToken": preset}, url=self.facts.ptz_url)

    def set_relay(self, relay: str, active: bool) -> None:
        """Device management SetRelayOutputState (a strobe, a siren)."""
        self._call("devicemgmt", "SetRelayOutputState", {
            "RelayOutputToken": relay, "LogicalState": "active" if active else "inactive"})

    def snapshot(self, *, max_bytes: int, timeout: float) -> tuple[str, bytes]:
        """GET the snapshot URI with the camera's user (HTTP digest or basic, as the camera
        challenges): (content type, JPEG bytes). Anything but a JPEG within ``max_bytes`` and
        ``timeout`` is a CameraError saying what came instead."""
        if not self.facts.snapshot_uri:
            raise CameraError(FailureKind.FAULT, "camera offers no snapshot URI", operation="snapshot")
        deadline = time.monotonic() + timeout
        try:
            answer = self._snapshot_get(None, timeout)
            if answer.status_code == 401:
                challenge = answer.headers.get("WWW-Authenticate", "").lower()
                answer.close()
                auth = (requests.auth.HTTPDigestAuth if challenge.startswith("digest")
                        else requests.auth.HTTPBasicAuth)(self._username, self._password)
                answer = self._snapshot_get(auth, max(0.1, deadline - time.monotonic()))
            with answer:
                if answer.status_code == 401:
                    raise CameraError(FailureKind.AUTH, "snapshot refused the camera's user", operation="snapshot")
                if answer.status_code != 200:
                    raise CameraError(FailureKind.BAD_RESPONSE, f"snapshot HTTP {answer.status_code}",
                                      operation="snapshot")
                content_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type != "image/jpeg":
                    raise CameraError(FailureKind.BAD_RESPONSE, f"snapshot is {content_type or 'untyped'}, "
                                      "not image/jpeg", operation="snapshot")
                declared = answer.headers.get("Content-Length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                    raise CameraError(FailureKind.BAD_RESPONSE, f"snapshot of {int(declared)} bytes exceeds "
                                      f"{max_bytes}", operation="snapshot")
                body = bytearray()
                for chunk in answer.iter_content(65536):
                    body += chunk
                    if len(body) > max_bytes:
                        raise CameraError(FailureKind.BAD_RESPONSE, f"snapshot exceeds {max_bytes} bytes",
                                          operation="snapshot")
                    if time.monotonic() > deadline:
                        raise CameraError(FailureKind.TIMEOUT, "snapshot took too long", operation="snapshot")
        except CameraError:
            raise
        except Exception as exc:
            raise _classify(exc, "snapshot") from None
        if body[:3] != b"\xff\xd8\xff":
            raise CameraError(FailureKind.BAD_RESPONSE, "snapshot is not a JPEG", operation="snapshot")
        return content_type, bytes(body)

    def _snapshot_get(self, auth, timeout: float):
        return self._transport.session.get(self.facts.snapshot_uri, auth=auth, timeout=timeout, stream=True)

    def probe(self) -> None:
        """Health check: an authenticated, cheap call."""
        self._call("devicemgmt", "GetDeviceInformation")

    # --- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _xaddr(capabilities: Any, name: str) -> str:
        part = getattr(capabilities, name, None)
        return str(part.XAddr) if part is not None and getattr(part, "XAddr", None) else ""

    def _service(self, name: str, url: str) -> ONVIFService:
        service = self._services.get(name)
        if service is None or service.xaddr != url:
            definition = SERVICES[name]
            client = zeep.Client(wsdl=wsdl_document(name), wsse=self._token, transport=self._transport,
                                 settings=_SETTINGS)
            service = ONVIFService(
                url, self._username, self._password, os.path.join(WSDL_DIR, definition["wsdl"]),
                zeep_client=client, binding_name=f"{{{definition['ns']}}}{definition['binding']}",
            )
            self._services[name] = service
        return service

    def _call(self, service: str, operation: str, params: dict | None = None, *, url: str | None = None) -> Any:
        try:
            method: Callable = getattr(self._service(service, url or self.device_url), operation)
            return method(params)
        except Exception as exc:  # every failure becomes a classified CameraError
            raise _classify(exc, operation) from None

    def close(self) -> None:
        if self._owns_transport:
            self._transport.close()
