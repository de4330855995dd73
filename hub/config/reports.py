"""The ``reports:`` section of ``hub.yaml``: device classes for reporting, region names, and the
test-compliance rules (see docs/integrator-guide.md). :meth:`ReportsConfig.to_settings` gives the
kernel's :class:`hub.reports.ReportSettings`."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from hub.config.section import Section as _Section
from hub.config.snapshots import SnapshotEvery
from hub.config.units import parse_duration
from hub.journal import DEFAULT_EVERY
from hub.regions import validate_region_prefix
from hub.reports import DEVICE_CLASSES, DeviceClasses, ReportSettings

__all__ = ["FireTestConfig", "PanicTestConfig", "ReportsConfig"]

Duration = Annotated[float, BeforeValidator(parse_duration)]
DeviceClass = Literal["panic", "video", "fire", "network", "power", "access", "other"]


def _short_region(value: str) -> str:
    """``140800`` -> ``1408``: a name belongs to the place the code names."""
    if len(value) == 6 and value.isascii() and value.isdigit():
        while len(value) > 2 and value.endswith("00"):
            value = value[:-2]
    return validate_region_prefix(value)


def _region_names(names: dict[str, str]) -> dict[str, str]:
    return {_short_region(str(code)): name for code, name in names.items()}


class PanicTestConfig(_Section):
    """When a one-button alarm counts as intact (一键报警完好率)."""

    period: Duration = Field("24h", gt=0, description="A test (SIA RP/RX, Contact ID 602, a manual test press) "
                             "must have arrived within this long.")
    max_delay: Duration = Field("10s", gt=0, description="... and reached the hub within this many seconds of "
                                "the device sending it.")
    types: list[str] = Field(["system.test", "panic.test"], min_length=1,
                             description="Event types (prefixes) that are a test of a panic device.")


class FireTestConfig(_Section):
    """Fire panels' simulated transmissions (模拟传输) to the monitoring centre."""

    per_month: int = Field(2, ge=0, le=1000, description="Transmissions needed per calendar month.")
    types: list[str] = Field(["system.test", "fire.test"], min_length=1,
                             description="Event types (prefixes) that are a fire panel's test transmission.")


class ReportsConfig(_Section):
    """联网率 / 在线率 reports and test compliance."""

    enabled: bool = Field(True, strict=True, description="Journal the census and serve ReportService.")
    device_classes: dict[str, DeviceClass] = Field(
        default_factory=dict, description="Device kind -> reporting class (" + ", ".join(DEVICE_CLASSES) +
        "), over the built-in table (panic_button: panic, camera: video, fire_panel: fire, switch: network, "
        "ups: power, access_controller: access ...).")
    devices: dict[str, DeviceClass] = Field(default_factory=dict, description="Device id -> reporting class, "
                                            "over its kind's.")
    region_names: Annotated[dict[str, str], AfterValidator(_region_names)] = Field(
        default_factory=dict, description="GB/T 2260 code or prefix -> name, e.g. {\"14\": 山西省, \"1408\": "
        "运城市, \"140802\": 盐湖区}; reports show the code where none is given.")
    networked_lookback: Duration = Field("24h", gt=0, description="The window of a report \"for now\": a device "
                                         "online at some moment in it counts as networked.")
    census_interval: Duration = Field("24h", gt=0, description="How often the hub journals its inventory again "
                                      "(so the reports can be rebuilt after retention deleted older events).")
    panic_test: PanicTestConfig = Field(default_factory=PanicTestConfig, description="One-button alarm tests.")
    fire_test: FireTestConfig = Field(default_factory=FireTestConfig, description="Fire-panel test transmissions.")
    false_alarms_per_day: int = Field(5, ge=0, description="More false alarms of one device in a day than this "
                                      "is flagged (and becomes a ledger entry).")
    utc_offset_hours: float = Field(8, ge=-12, le=14, description="Time zone of the days and months reports "
                                    "count in (China: 8).")
    snapshot_every: SnapshotEvery = Field(DEFAULT_EVERY, description="Journal entries between two snapshots of "
                                          "the report facts (a restart folds at most this many, plus what came "
                                          "while the hub was down).")

    def to_settings(self, school_names: dict[str, str], retention: float | None) -> ReportSettings | None:
        if not self.enabled:
            return None
        return ReportSettings(
            classes=DeviceClasses(self.device_classes, self.devices), region_names=self.region_names,
            school_names=school_names, networked_lookback=self.networked_lookback,
            census_interval=self.census_interval, panic_test_period=self.panic_test.period,
            panic_test_max_delay=self.panic_test.max_delay, panic_test_types=tuple(self.panic_test.types),
            fire_tests_per_month=self.fire_test.per_month, fire_test_types=tuple(self.fire_test.types),
            false_alarms_per_day=self.false_alarms_per_day, utc_offset=self.utc_offset_hours * 3600.0,
            retention=retention, snapshot_every=self.snapshot_every)
