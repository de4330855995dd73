"""Adapter-reported metrics land in the hub's labelled families (the SPI's count/gauge/observe)."""
from __future__ import annotations

from hub.kernel import HubMetrics


def test_adapter_metrics_accumulate_per_name_and_labels():
    metrics = HubMetrics()
    adapter = metrics.for_adapter("sia-main")
    adapter.count("frames", transport="tcp", outcome="ack")
    adapter.count("frames", 2, outcome="ack", transport="tcp")  # same labels, other order: same series
    adapter.count("frames", transport="udp", outcome="ack")
    adapter.count("idle_timeouts")
    adapter.gauge("connections", 3)
    adapter.gauge("connections", 5)
    adapter.observe("frame_to_ack", 0.002, transport="tcp")
    adapter.observe("frame_to_ack", 0.004, transport="udp")
    value = metrics.registry.get_sample_value
    assert value("campushub_adapter_events_total",
                 {"adapter": "sia-main", "name": "frames", "labels": "outcome=ack,transport=tcp"}) == 3
    assert value("campushub_adapter_events_total",
                 {"adapter": "sia-main", "name": "frames", "labels": "outcome=ack,transport=udp"}) == 1
    assert value("campushub_adapter_events_total", {"adapter": "sia-main", "name": "idle_timeouts", "labels": ""}) == 1
    assert value("campushub_adapter_value", {"adapter": "sia-main", "name": "connections", "labels": ""}) == 5
    assert value("campushub_adapter_seconds_count", {"adapter": "sia-main", "name": "frame_to_ack"}) == 2
    metrics.for_adapter("other").count("frames", transport="tcp", outcome="ack")
    assert value("campushub_adapter_events_total",
                 {"adapter": "other", "name": "frames", "labels": "outcome=ack,transport=tcp"}) == 1


def test_adapter_histograms_match_prometheus_client_on_the_same_observations():
    from prometheus_client import CollectorRegistry, Histogram
    observations = [0.0, 0.004, 0.005, 0.0051, 0.3, 7.5, 12.0, 1e9, 0.1]
    ours = HubMetrics()
    reference = Histogram("campushub_adapter_seconds", "reference", ["adapter", "name"], registry=CollectorRegistry())
    for seconds in observations:
        ours.for_adapter("a").observe("t", seconds)
        reference.labels("a", "t").observe(seconds)
    theirs = {(s.name, s.labels.get("le")): s.value for m in reference.collect() for s in m.samples
              if not s.name.endswith("_created")}
    mine = {(s.name, s.labels.get("le")): s.value for m in ours.adapter_histogram.collect() for s in m.samples}
    assert mine == theirs
