"""The NATS JetStream uplink (``type: nats`` under ``uplinks:``; entry point ``campushub.uplinks``).

Every hub publishes its own journal to two streams, an alarm lane and an event lane, on subjects
``<prefix>.<lane>.<pp>.<cc>.<xx>.<school>.<category>`` (``uplinks.nats._subjects``), each through a
named persisted journal cursor that moves only on JetStream's acknowledgement
(``uplinks.nats._publisher``). A county, city or province hub also ingests its region's subjects
with durable consumers and journals them with their origin (``uplinks.nats._ingest``). The streams
are created or checked by ``uplinks.nats._streams``.
"""
from uplinks.nats._options import IngestOptions, NatsOptions, StreamOptions, TlsOptions
from uplinks.nats._streams import StreamMismatch
from uplinks.nats._subjects import event_subject, region_filter

__all__ = ["IngestOptions", "NatsOptions", "NatsUplink", "StreamMismatch", "StreamOptions", "TlsOptions",
           "event_subject", "region_filter"]


def __getattr__(name: str):
    if name == "NatsUplink":
        from uplinks.nats.uplink import NatsUplink
        return NatsUplink
    raise AttributeError(name)
