"""Capabilities are declared, not guessed: the adapters that offer an action name the protocol."""
from __future__ import annotations

from adapters.onvif.adapter import OnvifAdapter
from adapters.snmp.adapter import SnmpAdapter
from hub.spi import CapabilityError, PanelCommands, PtzControl, RelayOutput, SnapshotSource, TerminalInventorySource


def declared(cls) -> set:
    return {capability for capability in (PtzControl, SnapshotSource, RelayOutput, PanelCommands,
                                          TerminalInventorySource) if capability in cls.__mro__}


def test_the_onvif_adapter_declares_ptz_relay_and_snapshot_and_its_errors_are_capability_errors():
    from adapters.onvif.errors import CameraError
    assert declared(OnvifAdapter) == {PtzControl, RelayOutput, SnapshotSource}
    assert issubclass(CameraError, CapabilityError)


def test_the_snmp_adapter_declares_its_terminal_inventory():
    assert declared(SnmpAdapter) == {TerminalInventorySource}


def test_a_class_without_the_methods_is_not_taken_for_a_capability():
    class Plain:
        pass
    assert not isinstance(Plain(), PtzControl) and not isinstance(Plain(), SnapshotSource)
