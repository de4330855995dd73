"""What a simulated camera films and streams: its video source and media profiles (data).

One sensor (video source ``vs1``, configuration ``vsc1``) feeds two H.264 profiles, a main and a
sub stream, as most IP cameras have; GetProfiles, GetVideoSources, GetStreamUri read them.
"""
from __future__ import annotations

import dataclasses

__all__ = ["VideoSource", "StreamProfile", "VIDEO_SOURCE", "PROFILES", "profile_named"]


@dataclasses.dataclass(frozen=True)
class VideoSource:
    token: str = "vs1"
    configuration_token: str = "vsc1"
    width: int = 1920
    height: int = 1080
    framerate: float = 25.0


@dataclasses.dataclass(frozen=True)
class StreamProfile:
    token: str
    name: str
    encoder_token: str
    width: int
    height: int
    framerate: int
    bitrate_kbps: int
    #: Frames between key frames (H.264 GOP length).
    gov_length: int
    h264_profile: str  # Baseline, Main, Extended, High
    #: Last part of the RTSP URI: rtsp://host:554/<camera>/<stream_path>.
    stream_path: str
    quality: float = 4.0


VIDEO_SOURCE = VideoSource()
PROFILES: tuple[StreamProfile, ...] = (
    StreamProfile("profile_1", "MainStream", "vec1", 1920, 1080, 25, 4096, 50, "High", "main"),
    StreamProfile("profile_2", "SubStream", "vec2", 640, 360, 15, 512, 30, "Main", "sub"),
)


def profile_named(token: str) -> StreamProfile | None:
    return next((p for p in PROFILES if p.token == token), None)
