"""Adapter-reported metrics land in the hub's labelled families (the SPI's count/gauge/observe)."""
from __future__ import annotations

from hub.metrics import HubMetrics


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
