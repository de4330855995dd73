"""Why a camera exchange failed, in the words the device registry shows (``device.offline`` reason)."""
from __future__ import annotations

import enum

from adapters.onvif.soap import Fault
from hub.spi import CapabilityError

__all__ = ["FailureKind", "CameraError", "fault_error"]


class FailureKind(enum.Enum):
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    AUTH = "auth failure"
    FAULT = "SOAP fault"
    #: The camera answered with something that is not an acceptable ONVIF message.
    BAD_RESPONSE = "bad response"


class CameraError(CapabilityError):
    def __init__(self, kind: FailureKind, detail: str, *, operation: str = "") -> None:
        self.kind, self.detail, self.operation = kind, detail[:300], operation
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        where = f" ({self.operation})" if self.operation else ""
        return f"{self.kind.value}{where}: {self.detail}" if self.detail else f"{self.kind.value}{where}"


def fault_error(fault: Fault, operation: str) -> CameraError:
    """Classify a SOAP fault: ``NotAuthorized`` subcodes are auth failures."""
    if any(code.rpartition(":")[2] in ("NotAuthorized", "FailedAuthentication") for code in fault.subcodes):
        return CameraError(FailureKind.AUTH, fault.reason or "not authorized", operation=operation)
    return CameraError(FailureKind.FAULT, str(fault), operation=operation)
