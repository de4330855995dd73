"""Report and ledger figures as Prometheus gauges, computed when scraped (per school and county).

Connectivity gauges are the "now" report (the window of ``networked_lookback`` ending now);
ledger gauges count open and overdue entries. Computing them at scrape time keeps them equal to
what ReportService answers, with nothing to keep in step.
"""
from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily

from hub.reports._figures import compliance, connectivity, places

GAUGE_LEVELS = ("county", "school")


class ReportCollector:
    def __init__(self, projection, ledger: Callable[[], object] | None = None) -> None:
        self.projection = projection
        #: Returns the ledger's entries (objects with region, school, open, overdue, grade), or None.
        self.ledger = ledger

    def describe(self):
        return []

    def collect(self):
        projection = self.projection
        if projection is not None:
            now = projection.clock()
            settings = projection.settings
            start = max(now - settings.networked_lookback, min(projection.earliest_time, now))
            networked = GaugeMetricFamily("campushub_report_networked_ratio", "联网率: networked / inventory (now)",
                                          labels=["level", "code", "device_class"])
            online = GaugeMetricFamily("campushub_report_online_ratio",
                                       "在线率: time-weighted online share over the lookback window",
                                       labels=["level", "code", "device_class"])
            inventory = GaugeMetricFamily("campushub_report_inventory_devices", "Devices in the inventory",
                                          labels=["level", "code", "device_class"])
            for row in connectivity(projection.facts, settings, start, now, levels=GAUGE_LEVELS):
                labels = [row.level, row.code, row.device_class]
                networked.add_metric(labels, row.networked_rate)
                online.add_metric(labels, row.online_rate)
                inventory.add_metric(labels, row.inventory)
            yield from (networked, online, inventory)
            intact = GaugeMetricFamily("campushub_report_panic_intact_ratio",
                                       "一键报警完好率: panic devices whose test arrived in time", labels=["level", "code"])
            tally: dict[tuple[str, str], list[int]] = {}
            for test in compliance(projection.facts, settings, now).panic:
                for place in _places(test.region, test.school):
                    counts = tally.setdefault(place, [0, 0])
                    counts[0] += test.passed
                    counts[1] += 1
            for (level, code), (passed, total) in sorted(tally.items()):
                intact.add_metric([level, code], passed / total)
            yield intact
        if self.ledger is not None:
            open_entries = GaugeMetricFamily("campushub_ledger_open_entries", "Hazard ledger entries not closed (销号)",
                                             labels=["level", "code", "grade"])
            overdue = GaugeMetricFamily("campushub_ledger_overdue_entries", "Open hazard entries past their deadline",
                                        labels=["level", "code", "grade"])
            counts: dict[tuple[str, str, str], list[int]] = {}
            for entry in self.ledger():
                if entry.closed:
                    continue
                for level, code in _places(entry.region, entry.school):
                    tally_ = counts.setdefault((level, code, entry.grade), [0, 0])
                    tally_[0] += 1
                    tally_[1] += entry.overdue
            for labels, (opened, late) in sorted(counts.items()):
                open_entries.add_metric(list(labels), opened)
                overdue.add_metric(list(labels), late)
            yield from (open_entries, overdue)


def _places(region: str, school: str) -> list[tuple[str, str]]:
    class _Where:
        pass
    where = _Where()
    where.region, where.school = region, school
    return [place for place in places(where) if place[0] in GAUGE_LEVELS]


class ReportMetrics:
    """The refusal counter and the gauges, registered on the hub's registry."""

    def __init__(self, registry: CollectorRegistry, projection, ledger=None) -> None:
        self.refused = Counter("campushub_report_requests_refused_total",
                               "Report and ledger requests refused (bad window, illegal move, bad photo ...)",
                               ["reason"], registry=registry)
        self.collector = ReportCollector(projection, ledger)
        registry.register(self.collector)
