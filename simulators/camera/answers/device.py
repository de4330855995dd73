"""Device service answers (``tds``): identity, clock, capabilities, services, scopes, network."""
from __future__ import annotations

import time

from adapters.onvif.soap import escape

_SERVICE_VERSION = "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"


def device_information(manufacturer: str, model: str, firmware: str, serial: str, hardware_id: str) -> str:
    return (
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{escape(manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{escape(model)}</tds:Model><tds:FirmwareVersion>{escape(firmware)}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{escape(serial)}</tds:SerialNumber><tds:HardwareId>{escape(hardware_id)}</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def _date_time(tag: str, epoch: float) -> str:
    t = time.gmtime(int(epoch))
    return (
        f"<tt:{tag}><tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>{t.tm_min}</tt:Minute>"
        f"<tt:Second>{t.tm_sec}</tt:Second></tt:Time><tt:Date><tt:Year>{t.tm_year}</tt:Year>"
        f"<tt:Month>{t.tm_mon}</tt:Month><tt:Day>{t.tm_mday}</tt:Day></tt:Date></tt:{tag}>"
    )


def posix_tz(utc_offset_hours: float) -> str:
    """The POSIX TZ of a fixed offset east of UTC: 8 -> "<+08>-8" (POSIX counts hours west)."""
    if not utc_offset_hours:
        return "UTC0"
    minutes = round(abs(utc_offset_hours) * 60)
    sign = "+" if utc_offset_hours > 0 else "-"
    name = f"<{sign}{minutes // 60:02d}{minutes % 60:02d}>" if minutes % 60 else f"<{sign}{minutes // 60:02d}>"
    west = f"{'-' if utc_offset_hours > 0 else ''}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return name + west


def system_date_and_time(camera_now: float, utc_offset_hours: float = 0.0, *, local_time_only: bool = False) -> str:
    utc = "" if local_time_only else _date_time("UTCDateTime", camera_now)
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>"
        f"<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{escape(posix_tz(utc_offset_hours))}</tt:TZ>"
        f"</tt:TimeZone>{utc}{_date_time('LocalDateTime', camera_now + utc_offset_hours * 3600)}"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def capabilities(base: str, *, ptz: bool) -> str:
    ptz_part = f"<tt:PTZ><tt:XAddr>{escape(base)}/onvif/ptz_service</tt:XAddr></tt:PTZ>" if ptz else ""
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        f"<tt:Device><tt:XAddr>{escape(base)}/onvif/device_service</tt:XAddr></tt:Device>"
        f"<tt:Events><tt:XAddr>{escape(base)}/onvif/event_service</tt:XAddr>"
        "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
        "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
        "<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>"
        "</tt:Events>"
        f"<tt:Media><tt:XAddr>{escape(base)}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities>"
        "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
        f"</tt:StreamingCapabilities></tt:Media>{ptz_part}"
        "</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


def services(base: str, entries: list[tuple[str, str, str]], *, include_capability: bool) -> str:
    """GetServices for ``entries`` of (namespace, path under /onvif/, service capabilities element)."""
    body = "".join(
        f"<tds:Service><tds:Namespace>{escape(ns)}</tds:Namespace><tds:XAddr>{escape(base)}/onvif/{path}</tds:XAddr>"
        + (f"<tds:Capabilities>{caps}</tds:Capabilities>" if include_capability else "")
        + f"{_SERVICE_VERSION}</tds:Service>"
        for ns, path, caps in entries
    )
    return f"<tds:GetServicesResponse>{body}</tds:GetServicesResponse>"


def service_capabilities() -> str:
    """The ``tds:Capabilities`` element (GetServiceCapabilities, GetServices): SOAP requests are
    authenticated with WS-UsernameToken only (HTTP digest guards just the snapshot)."""
    return (
        '<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" '
        'DynDNS="false" HostnameFromDHCP="false" NTP="0"/>'
        '<tds:Security UsernameToken="true" HttpDigest="false" TLS1.2="false"/>'
        '<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" '
        'SystemLogging="false" FirmwareUpgrade="false"/></tds:Capabilities>'
    )


def scopes(items: list[tuple[str, str]]) -> str:
    """GetScopes for (definition ``Fixed``/``Configurable``, scope URI) pairs."""
    body = "".join(
        f"<tds:Scopes><tt:ScopeDef>{definition}</tt:ScopeDef><tt:ScopeItem>{escape(uri)}</tt:ScopeItem></tds:Scopes>"
        for definition, uri in items
    )
    return f"<tds:GetScopesResponse>{body}</tds:GetScopesResponse>"


def hostname(name: str) -> str:
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>{escape(name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
    )


def network_interfaces(mac: str, ipv4: str | None) -> str:
    """One wired interface ``eth0``; its IPv4 part only when the camera listens on an IPv4 address."""
    ip_part = (
        f"<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>{escape(ipv4)}</tt:Address>"
        "<tt:PrefixLength>24</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
        if ipv4 else ""
    )
    return (
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
        f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{escape(mac)}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>"
        f"{ip_part}</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )


def relay_outputs(states: dict[str, bool]) -> str:
    """GetRelayOutputs: every output, bistable, idle state open."""
    outputs = "".join(
        f'<tds:RelayOutputs token="{escape(token)}"><tt:Properties><tt:Mode>Bistable</tt:Mode>'
        "<tt:DelayTime>PT0S</tt:DelayTime><tt:IdleState>open</tt:IdleState></tt:Properties></tds:RelayOutputs>"
        for token in states)
    return f"<tds:GetRelayOutputsResponse>{outputs}</tds:GetRelayOutputsResponse>"


def set_relay_output_state() -> str:
    return "<tds:SetRelayOutputStateResponse/>"
