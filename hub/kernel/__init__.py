"""The hub's kernel: the service tree (:class:`Hub`), the device registry and device states, the
pipeline (enrich, dedupe, journal), adapter supervision, and the hub's metrics. It knows no device
protocol and imports no adapter or simulator."""
from hub.kernel._context import HubAdapterContext
from hub.kernel._device_states import DeviceStates
from hub.kernel._hub import AdapterInstance, Hub, HubSettings, StartsAsync, TlsFiles
from hub.kernel._metrics import AdapterMetrics, HubMetrics
from hub.kernel._pipeline import Pipeline
from hub.kernel._registry import STATE_NAMES, DeviceEntry, DeviceRegistry
from hub.kernel._supervisor import AdapterService
from hub.kernel._uplinks import UplinkInstance, UplinkService

__all__ = ["STATE_NAMES", "AdapterInstance", "AdapterMetrics", "AdapterService", "DeviceEntry", "DeviceRegistry",
           "DeviceStates", "Hub", "HubAdapterContext", "HubMetrics", "HubSettings", "Pipeline", "StartsAsync",
           "TlsFiles", "UplinkInstance", "UplinkService"]
