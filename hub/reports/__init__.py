"""Reports: 联网率 / 在线率 per place and device class, and test compliance, from the journal.

- :class:`DeviceClasses` says which reporting class a device is in (kind, overridden in config).
- :class:`Facts` is what the figures are computed from, fed entry by entry (pure, replayable).
- :func:`connectivity` and :func:`compliance` compute the figures (defined in their module).
- :class:`ReportProjection` keeps the facts as a projection over the persisted cursor "reports"
  and journals this hub's inventory (the census).
"""
from hub.reports._classes import DEFAULT_KIND_CLASSES, DEVICE_CLASSES, DeviceClasses
from hub.reports._figures import ALL_CLASSES, LEVELS, Compliance, Row, compliance, connectivity, places
from hub.reports._model import CENSUS, REPORT_CATEGORY, RETIRED, Facts, Track
from hub.reports._projection import ReportProjection, census_event
from hub.reports._settings import ReportSettings

__all__ = ["ALL_CLASSES", "CENSUS", "DEFAULT_KIND_CLASSES", "DEVICE_CLASSES", "LEVELS", "REPORT_CATEGORY", "RETIRED",
           "Compliance", "DeviceClasses", "Facts", "ReportProjection", "ReportSettings", "Row", "Track",
           "census_event", "compliance", "connectivity", "places"]
