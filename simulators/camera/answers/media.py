"""Media service answers (``trt``): video sources, profiles with their configurations, URIs."""
from __future__ import annotations

from adapters.onvif.soap import escape, quoteattr
from simulators.camera.media import StreamProfile, VideoSource
from simulators.camera.ptz import NODE_TOKEN

_PTZ_CONFIGURATION_TOKEN = "ptz_cfg_1"


def service_capabilities(*, snapshot: bool, profiles: int) -> str:
    """The ``trt:Capabilities`` element (GetServiceCapabilities, GetServices)."""
    return (
        f'<trt:Capabilities SnapshotUri="{str(snapshot).lower()}" Rotation="false" VideoSourceMode="false" OSD="false">'
        f'<trt:ProfileCapabilities MaximumNumberOfProfiles="{profiles}"/>'
        '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true" NonAggregateControl="false"/>'
        "</trt:Capabilities>"
    )


def video_sources(source: VideoSource) -> str:
    return (
        f"<trt:GetVideoSourcesResponse><trt:VideoSources token={quoteattr(source.token)}>"
        f"<tt:Framerate>{source.framerate:g}</tt:Framerate><tt:Resolution><tt:Width>{source.width}</tt:Width>"
        f"<tt:Height>{source.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>"
    )


def _video_source_configuration(tag: str, source: VideoSource, use_count: int) -> str:
    return (
        f"<{tag} token={quoteattr(source.configuration_token)}><tt:Name>VideoSourceConfig</tt:Name>"
        f"<tt:UseCount>{use_count}</tt:UseCount><tt:SourceToken>{escape(source.token)}</tt:SourceToken>"
        f'<tt:Bounds x="0" y="0" width="{source.width}" height="{source.height}"/></{tag}>'
    )


def _video_encoder_configuration(tag: str, profile: StreamProfile) -> str:
    return (
        f"<{tag} token={quoteattr(profile.encoder_token)}><tt:Name>{escape(profile.name)}</tt:Name>"
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{profile.width}</tt:Width><tt:Height>{profile.height}</tt:Height></tt:Resolution>"
        f"<tt:Quality>{profile.quality:g}</tt:Quality><tt:RateControl><tt:FrameRateLimit>{profile.framerate}"
        "</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>"
        f"<tt:BitrateLimit>{profile.bitrate_kbps}</tt:BitrateLimit></tt:RateControl>"
        f"<tt:H264><tt:GovLength>{profile.gov_length}</tt:GovLength><tt:H264Profile>{profile.h264_profile}"
        "</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
        "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL>"
        f"<tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></{tag}>"
    )


def _ptz_configuration(use_count: int) -> str:
    # Only the node: this head moves to presets; advertising move spaces would promise AbsoluteMove.
    return (
        f'<tt:PTZConfiguration token="{_PTZ_CONFIGURATION_TOKEN}"><tt:Name>PTZ</tt:Name>'
        f"<tt:UseCount>{use_count}</tt:UseCount><tt:NodeToken>{NODE_TOKEN}</tt:NodeToken>"
        "<tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout></tt:PTZConfiguration>"
    )


def _profile(tag: str, profile: StreamProfile, source: VideoSource, *, profiles: int, ptz: bool) -> str:
    return (
        f'<{tag} token={quoteattr(profile.token)} fixed="true"><tt:Name>{escape(profile.name)}</tt:Name>'
        f"{_video_source_configuration('tt:VideoSourceConfiguration', source, profiles)}"
        f"{_video_encoder_configuration('tt:VideoEncoderConfiguration', profile)}"
        f"{_ptz_configuration(profiles) if ptz else ''}</{tag}>"
    )


def profiles(all_profiles: tuple[StreamProfile, ...], source: VideoSource, *, ptz: bool) -> str:
    body = "".join(_profile("trt:Profiles", p, source, profiles=len(all_profiles), ptz=ptz) for p in all_profiles)
    return f"<trt:GetProfilesResponse>{body}</trt:GetProfilesResponse>"


def profile(one: StreamProfile, source: VideoSource, *, profiles: int, ptz: bool) -> str:
    return f"<trt:GetProfileResponse>{_profile('trt:Profile', one, source, profiles=profiles, ptz=ptz)}</trt:GetProfileResponse>"


def video_source_configurations(source: VideoSource, *, profiles: int) -> str:
    inner = _video_source_configuration("trt:Configurations", source, profiles)
    return f"<trt:GetVideoSourceConfigurationsResponse>{inner}</trt:GetVideoSourceConfigurationsResponse>"


def video_encoder_configurations(all_profiles: tuple[StreamProfile, ...]) -> str:
    inner = "".join(_video_encoder_configuration("trt:Configurations", p) for p in all_profiles)
    return f"<trt:GetVideoEncoderConfigurationsResponse>{inner}</trt:GetVideoEncoderConfigurationsResponse>"


def media_uri(tag: str, uri: str) -> str:
    return (
        f"<trt:{tag}><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
        f"</trt:{tag}>"
    )
