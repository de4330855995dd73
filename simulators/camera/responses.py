"""SOAP bodies of the device, media and PTZ operations the simulator answers.

Each builder returns a body fragment with the :data:`adapters.onvif.soap.NS` prefixes; the shapes
follow the ONVIF schemas shipped with onvif-zeep (a test deserializes them with zeep, strictly).
"""
from __future__ import annotations

import time

from adapters.onvif.soap import escape, quoteattr

PROFILE_TOKEN = "profile_1"
PTZ_PRESETS = ("1", "2", "3")


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


def services(base: str, *, ptz: bool) -> str:
    entries = [
        ("http://www.onvif.org/ver10/device/wsdl", "device_service"),
        ("http://www.onvif.org/ver10/media/wsdl", "media_service"),
        ("http://www.onvif.org/ver10/events/wsdl", "event_service"),
    ]
    if ptz:
        entries.append(("http://www.onvif.org/ver20/ptz/wsdl", "ptz_service"))
    body = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{escape(base)}/onvif/{path}</tds:XAddr>"
        "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
        for ns, path in entries
    )
    return f"<tds:GetServicesResponse>{body}</tds:GetServicesResponse>"


def profiles() -> str:
    return (
        f"<trt:GetProfilesResponse><trt:Profiles token={quoteattr(PROFILE_TOKEN)} fixed=\"true\">"
        "<tt:Name>MainStream</tt:Name>"
        '<tt:VideoSourceConfiguration token="vsc1"><tt:Name>VideoSource</tt:Name><tt:UseCount>1</tt:UseCount>'
        '<tt:SourceToken>vs1</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/>'
        "</tt:VideoSourceConfiguration></trt:Profiles></trt:GetProfilesResponse>"
    )


def media_uri(tag: str, uri: str) -> str:
    return (
        f"<trt:{tag}><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
        f"</trt:{tag}>"
    )


def goto_preset() -> str:
    return "<tptz:GotoPresetResponse/>"
