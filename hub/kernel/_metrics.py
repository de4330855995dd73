"""Prometheus metrics of one hub (own registry, so several hubs can live in one test process)."""
from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter as _Tally
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from hub.events import category_name


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        #: Events in by (adapter, category number). Counted for every event, so a plain dict
        #: increment rather than a Prometheus child's locked inc(); labelled when scraped.
        self.events_in: _Tally[tuple[str, int]] = _Tally()
        r.register(TalliedCounter("campushub_events_in", "Events received from adapters", ["adapter", "category"],
                                  self.events_in, lambda key: (key[0], category_name(key[1]))))
        self.events_out = Counter("campushub_events_out_total", "Events delivered to subscribers",
                                  ["subscriber", "category"], registry=r)
        self.unknown_device_events = Counter("campushub_unknown_device_events_total",
                                             "Events from devices not in the registry (kept, flagged)",
                                             ["adapter"], registry=r)
        self.deduped = Counter("campushub_events_deduplicated_total",
                               "Repeats folded into a count by the dedupe window", ["adapter"], registry=r)
        self.append_latency = Histogram("campushub_journal_append_seconds",
                                        "Time from append to durable commit of a group",
                                        buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5),
                                        registry=r)
        self.commit_events = Histogram("campushub_journal_commit_events", "Events per group commit",
                                       buckets=(1, 10, 100, 500, 1000, 5000, 20000), registry=r)
        self.journal_head = Gauge("campushub_journal_head_sequence", "Newest journaled sequence", registry=r)
        self.journal_earliest = Gauge("campushub_journal_earliest_sequence", "Oldest retained sequence",
                                      registry=r)
        self.journal_backlog = Gauge("campushub_journal_backlog_events", "Events waiting for a commit",
                                     registry=r)
        self.journal_counters = Counter("campushub_journal_events_total",
                                        "Journal happenings (write errors, rejections, retention)",
                                        ["what"], registry=r)
        self.subscriber_lag = Gauge("campushub_subscriber_lag_events",
                                    "Journal head minus the subscriber's cursor", ["subscriber", "stream"],
                                    registry=r)
        self.subscribers = Gauge("campushub_subscribers", "Open Subscribe streams", registry=r)
        self.auth_failures = Counter("campushub_auth_failures_total", "Rejected API calls", ["reason"],
                                     registry=r)
        self.alarm_commands_refused = Counter("campushub_alarm_commands_refused_total",
                                              "Alarm commands refused (stale revision, not allowed ...)", ["code"],
                                              registry=r)
        self.devices = Gauge("campushub_devices", "Devices by state", ["state"], registry=r)
        self.adapter_restarts = Counter("campushub_adapter_restarts_total", "Adapter crashes and restarts",
                                        ["adapter"], registry=r)
        # Adapter-reported counts by (adapter, name, labels): adapters count per frame.
        self.adapter_counter = TalliedCounter("campushub_adapter_events",
                                              "Adapter-reported counters (bad frames, timeouts...)",
                                              ["adapter", "name", "labels"], _Tally())
        r.register(self.adapter_counter)
        self.adapter_gauge = Gauge("campushub_adapter_value", "Adapter-reported gauges",
                                   ["adapter", "name", "labels"], registry=r)
        self.adapter_histogram = TalliedHistogram("campushub_adapter_seconds", "Adapter-reported durations",
                                                  ["adapter", "name"])
        r.register(self.adapter_histogram)

    # Journal hooks
    def journal_counter(self, name: str, amount: float) -> None:
        self.journal_counters.labels(name.removeprefix("journal_").removesuffix("_total")).inc(amount)

    def journal_commit(self, seconds: float, events: int) -> None:
        self.append_latency.observe(seconds)
        self.commit_events.observe(events)

    def journal_state(self, head: int, earliest: int, backlog: int) -> None:
        self.journal_head.set(head)
        self.journal_earliest.set(earliest)
        self.journal_backlog.set(backlog)

    def for_adapter(self, instance: str) -> AdapterMetrics:
        return AdapterMetrics(self, instance)


class TalliedCounter:
    """A Prometheus counter family kept as a plain tally of label keys (see HubMetrics)."""

    def __init__(self, name: str, documentation: str, labelnames: list[str], tally: _Tally,
                 labels_of: Callable[[tuple], tuple[str, ...]] = lambda key: key) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.tally = tally
        self._labels_of = labels_of

    def collect(self):
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        by_labels: _Tally[tuple[str, ...]] = _Tally()
        for key, count in list(self.tally.items()):
            by_labels[self._labels_of(key)] += count  # distinct keys may share labels ("unspecified")
        for labels, count in by_labels.items():
            family.add_metric(list(labels), count)
        yield family


class TalliedHistogram:
    """A Prometheus histogram family whose series are plain lists (bucket counts, then the sum):
    adapters observe per frame, and prometheus_client's observe() walks its buckets in Python
    under a lock. Same buckets as prometheus_client's default."""

    def __init__(self, name: str, documentation: str, labelnames: list[str],
                 buckets: tuple[float, ...] = Histogram.DEFAULT_BUCKETS) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.bounds = tuple(buckets) if buckets[-1] == math.inf else (*buckets, math.inf)
        self._series: dict[tuple[str, ...], list[float]] = {}

    def series(self, *labels: str) -> Callable[[float], None]:
        """The observe function of one labelled series."""
        counts = self._series.setdefault(labels, [0] * len(self.bounds) + [0.0])
        bounds, last = self.bounds, len(self.bounds)

        def observe(value: float) -> None:
            counts[bisect.bisect_left(bounds, value)] += 1
            counts[last] += value
        return observe

    def collect(self):
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, counts in list(self._series.items()):
            cumulative = list(itertools.accumulate(counts[:-1]))
            family.add_metric(list(labels), [(floatToGoString(b), c) for b, c in zip(self.bounds, cumulative)],
                              sum_value=counts[-1])
        yield family


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


class AdapterMetrics:
    """The SPI's metrics for one adapter instance, folded into three labelled families so that
    adapters can name what they count without registering collectors."""

    def __init__(self, hub: HubMetrics, instance: str) -> None:
        self._hub = hub
        self._instance = instance
        # Adapters count per frame; building the label string costs microseconds, so keep the
        # tally key of each (name, labels) and the gauge children.
        self._counts = hub.adapter_counter.tally
        self._counters: dict[tuple, tuple[str, str, str]] = {}  # (name, *labels) -> tally key
        self._gauges: dict[tuple, object] = {}
        self._histograms: dict[str, Callable[[float], None]] = {}

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        key = (name, *labels.items())
        tally_key = self._counters.get(key)
        if tally_key is None:
            tally_key = self._counters[key] = (self._instance, name, _labels(labels))
        self._counts[tally_key] += amount

    def gauge(self, name: str, value: float, **labels: str) -> None:
        key = (name, *labels.items())
        child = self._gauges.get(key)
        if child is None:
            child = self._gauges[key] = self._hub.adapter_gauge.labels(self._instance, name, _labels(labels))
        child.set(value)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        observe = self._histograms.get(name)
        if observe is None:
            observe = self._histograms[name] = self._hub.adapter_histogram.series(self._instance, name)
        observe(seconds)
