"""`campus-hub devices` says which devices are late because of an adapter's bound (issue 20)."""
from __future__ import annotations

from campushub.v1 import device_pb2 as pb
from hub.cli.render import devices_table
from hub.spi import LATE_FACT


def test_the_late_column_shows_the_bound_and_a_dash_for_devices_on_time():
    late = "setup waiting: all 16 setup slots busy (max_setups)"
    table = devices_table([pb.Device(id="cam-1", kind="camera", adapter="onvif", facts={LATE_FACT: late}),
                           pb.Device(id="cam-2", kind="camera", adapter="onvif", facts={LATE_FACT: ""})])
    header, first, second = table.splitlines()
    assert header.split()[-1] == "LATE"
    assert first.endswith(late) and second.split()[-1] == "-"
