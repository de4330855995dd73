"""PTZ service answers (``tptz``): the node, presets, status, GotoPreset."""
from __future__ import annotations

from adapters.onvif.soap import escape, format_datetime, quoteattr
from simulators.camera.ptz import MAX_PRESETS, NODE_TOKEN, PtzHead, PtzPosition

_PAN_TILT_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
_ZOOM_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"


def service_capabilities() -> str:
    """The ``tptz:Capabilities`` element (GetServiceCapabilities, GetServices)."""
    return '<tptz:Capabilities EFlip="false" Reverse="false" GetCompatibleConfigurations="false"/>'


def _range(low: float, high: float) -> str:
    return f"<tt:Min>{low:g}</tt:Min><tt:Max>{high:g}</tt:Max>"


def nodes() -> str:
    return (
        f'<tptz:GetNodesResponse><tptz:PTZNode token="{NODE_TOKEN}" FixedHomePosition="false"><tt:Name>PTZ head</tt:Name>'
        f"<tt:SupportedPTZSpaces><tt:AbsolutePanTiltPositionSpace><tt:URI>{_PAN_TILT_SPACE}</tt:URI>"
        f"<tt:XRange>{_range(-1, 1)}</tt:XRange><tt:YRange>{_range(-1, 1)}</tt:YRange></tt:AbsolutePanTiltPositionSpace>"
        f"<tt:AbsoluteZoomPositionSpace><tt:URI>{_ZOOM_SPACE}</tt:URI><tt:XRange>{_range(0, 1)}</tt:XRange>"
        "</tt:AbsoluteZoomPositionSpace></tt:SupportedPTZSpaces>"
        f"<tt:MaximumNumberOfPresets>{MAX_PRESETS}</tt:MaximumNumberOfPresets><tt:HomeSupported>false</tt:HomeSupported>"
        "</tptz:PTZNode></tptz:GetNodesResponse>"
    )


def _position(tag: str, position: PtzPosition) -> str:
    return (
        f'<{tag}><tt:PanTilt x="{position.pan:g}" y="{position.tilt:g}" space="{_PAN_TILT_SPACE}"/>'
        f'<tt:Zoom x="{position.zoom:g}" space="{_ZOOM_SPACE}"/></{tag}>'
    )


def presets(head: PtzHead) -> str:
    body = "".join(
        f"<tptz:Preset token={quoteattr(p.token)}><tt:Name>{escape(p.name)}</tt:Name>"
        f"{_position('tt:PTZPosition', p.position)}</tptz:Preset>"
        for p in head.presets.values()
    )
    return f"<tptz:GetPresetsResponse>{body}</tptz:GetPresetsResponse>"


def status(head: PtzHead, camera_now: float) -> str:
    # Moves are instant: the head is always idle where its last move put it.
    return (
        f"<tptz:GetStatusResponse><tptz:PTZStatus>{_position('tt:Position', head.position)}"
        "<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus>"
        f"<tt:UtcTime>{format_datetime(camera_now)}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>"
    )


def goto_preset() -> str:
    return "<tptz:GotoPresetResponse/>"
