"""The event properties a simulated camera has, as real cameras describe them.

Each :class:`EventKind` is one ONVIF property (a topic with one source item and one state item):
what the simulator emits, what ``GetEventProperties`` lists, and what a new pull point reports as
``Initialized`` at once. Types are the QNames of the ONVIF event descriptions.
"""
from __future__ import annotations

import dataclasses

__all__ = ["EventKind", "EVENT_KINDS"]


@dataclasses.dataclass(frozen=True)
class EventKind:
    topic: str  # tns1:...
    source_name: str
    source_token: str
    data_name: str
    #: QName of the state item's type: xs:boolean, or tt:RelayLogicalState (active/inactive).
    data_type: str = "xs:boolean"
    source_type: str = "tt:ReferenceToken"

    def value(self, active: bool) -> str:
        if self.data_type == "tt:RelayLogicalState":
            return "active" if active else "inactive"
        return "true" if active else "false"


#: Scenario event kinds (``camera.trigger(kind, active)``), sources and items as real cameras send them.
EVENT_KINDS: dict[str, EventKind] = {
    "motion": EventKind("tns1:VideoSource/MotionAlarm", "VideoSourceToken", "vs1", "State"),
    "cell_motion": EventKind("tns1:RuleEngine/CellMotionDetector/Motion", "VideoSourceConfigurationToken", "vsc1", "IsMotion"),
    "tamper": EventKind("tns1:RuleEngine/TamperDetector/Tamper", "VideoSourceConfigurationToken", "vsc1", "IsTamper"),
    "scene_change": EventKind("tns1:VideoSource/GlobalSceneChange/ImagingService", "Source", "vs1", "State"),
    "video_loss": EventKind("tns1:VideoSource/SignalLoss", "Source", "vs1", "State"),
    "digital_input": EventKind("tns1:Device/Trigger/DigitalInput", "InputToken", "DI1", "LogicalState"),
    "relay": EventKind("tns1:Device/Trigger/Relay", "RelayToken", "R1", "LogicalState", "tt:RelayLogicalState"),
}
