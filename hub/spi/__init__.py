"""The adapter SPI: the whole surface an adapter plugin sees of the hub.

An adapter is a class registered under the entry point group ``campushub.adapters``::

    [project.entry-points."campushub.adapters"]
    sia = "adapters.sia.adapter:SiaAdapter"

The hub validates the instance's ``options`` with ``Options`` and every device's ``options`` with
``DeviceOptions`` (both pydantic models; unknown keys are errors), then builds the adapter with an
:class:`AdapterContext` and awaits :meth:`Adapter.run`. ``run`` lives until it is cancelled; if it
raises, the supervisor logs the error and builds a fresh adapter after an exponential backoff.

An adapter knows no subscriber: it turns device traffic into events (:meth:`AdapterContext.emit`)
and device state (:meth:`AdapterContext.device_online` and friends), nothing else. What it can do
beyond that (a snapshot, a PTZ move, a relay, a panel command, a MAC inventory) it declares by
implementing a capability protocol (``hub.spi.SnapshotSource`` ...), which the hub checks with
``isinstance``.

Plugins import only ``hub.spi`` and ``hub.events``; ``hub.spi.testing`` has an in-memory context for
adapter tests.
"""
from hub.spi._adapter import Adapter, AdapterContext, AdapterMetrics, DeviceSpec, NoOptions, Upstream
from hub.spi._backoff import Backoff, sleep
from hub.spi._cancelling import raise_if_cancelling
from hub.spi._lateness import LATE_FACT, LateDevices
from hub.spi._capabilities import (
    CapabilityError,
    PanelCommand,
    PanelCommands,
    PtzControl,
    RelayOutput,
    Snapshot,
    SnapshotSource,
    TerminalInventorySource,
    TerminalRecord,
)
from hub.spi._plugins import (
    ADAPTER_GROUP,
    PLUGIN_KINDS,
    PluginError,
    adapter_types,
    available_type_names,
    installed_plugins,
    load_adapter_class,
    load_plugin,
    load_uplink_class,
    override_adapter_classes,
)
from hub.spi._uplink import Uplink, UplinkContext

__all__ = ["ADAPTER_GROUP", "LATE_FACT", "PLUGIN_KINDS", "Adapter", "AdapterContext", "AdapterMetrics", "Backoff",
           "CapabilityError", "DeviceSpec", "LateDevices", "NoOptions", "PanelCommand", "PanelCommands", "PluginError", "PtzControl", "RelayOutput", "Snapshot",
           "SnapshotSource", "TerminalInventorySource", "TerminalRecord", "Uplink", "UplinkContext", "Upstream", "adapter_types",
           "available_type_names", "installed_plugins", "load_adapter_class", "load_plugin", "load_uplink_class", "override_adapter_classes", "raise_if_cancelling",
           "sleep"]
