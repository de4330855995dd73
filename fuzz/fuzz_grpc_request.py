"""gRPC request validation and scope selection: request bytes as a client sends them, decoded
as the server does, then the API's checks (stream options, start position) and
:func:`hub.access.select` against subscriber scopes, and the matchers a valid selection compiles to.

Input: one byte picks the RPC (and the journal's state), the rest is the serialized request.
Contract: the checks refuse bad requests with FilterError / ScopeError or an aborted call with a
gRPC status and a message; nothing else escapes, and what they accept can be matched against events.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script from any checkout

import grpc  # noqa: E402
from google.protobuf.message import DecodeError  # noqa: E402

from campushub.v1 import event_hub_service_pb2 as pb  # noqa: E402
from hub.events import Category, Severity  # noqa: E402

from hub.access import FilterError, Scope, ScopeError, select  # noqa: E402
from hub.api.grpc import EventHubService  # noqa: E402

_REQUESTS = (pb.SubscribeRequest, pb.ListDevicesRequest, pb.ListTerminalsRequest, pb.GetDeviceRequest)
_SCOPES = (
    Scope(all_regions=True),
    Scope(region_prefixes=("14", "1408")),
    Scope(region_prefixes=("140802",), school_ids=frozenset({"sch-1"}),
          categories=frozenset({Category.CATEGORY_FIRE, Category.CATEGORY_POWER})),
    Scope(school_ids=frozenset({"sch-2"})),
)
_SCHOOL_REGIONS = {"sch-1": "140802", "sch-2": "110101", "sch-3": "140801"}
_EVENTS = [(region, school, category, severity, type_, device)
           for region, school in (("140802", "sch-1"), ("110101", "sch-2"), ("", "sch-9"))
           for category, type_ in ((Category.CATEGORY_FIRE, "fire.alarm"), (Category.CATEGORY_NETWORK, "network.trap"))
           for severity in (Severity.SEVERITY_INFO, Severity.SEVERITY_CRITICAL)
           for device in ("panel-1", "sw-1")]


class _Journal:
    """The two numbers the start-position check reads."""

    def __init__(self, earliest: int, head: int) -> None:
        self.earliest, self.head = earliest, head


_JOURNALS = (_Journal(1, 0), _Journal(1, 1000), _Journal(500, 1000), _Journal(2**63, 2**64 - 1))


class Aborted(Exception):
    pass


class _Call:
    """What the checks use of a grpc.aio call context: abort, which raises (as gRPC's does)."""

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        assert isinstance(code, grpc.StatusCode) and isinstance(details, str) and details, (code, details)
        raise Aborted(code)


def _run(coroutine):
    """Run a check that awaits nothing but an abort."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    except Aborted:
        return None
    raise AssertionError("the check awaited something besides abort")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris expects)
    if not data:
        return
    request_type = _REQUESTS[data[0] % len(_REQUESTS)]
    try:
        request = request_type.FromString(data[1:])
    except DecodeError:
        return  # gRPC answers INTERNAL before our code sees the call
    if request_type is pb.SubscribeRequest:
        service = EventHubService.__new__(EventHubService)
        service.journal = _JOURNALS[data[0] >> 4 & 3]
        _run(service._stream_options(request, _Call()))
        _run(service._start_after(request, _Call()))
    event_filter = None if request_type is pb.GetDeviceRequest else request.filter
    for scope in _SCOPES:
        try:
            selection = select(scope, event_filter, _SCHOOL_REGIONS)
        except (FilterError, ScopeError) as refused:
            assert str(refused)
            continue
        match, in_place = selection.matcher(), selection.place_matcher()
        for event in _EVENTS:
            match(*event)
            in_place(event[0], event[1], event[5])
        assert selection.selects_everything <= all(match(*event) for event in _EVENTS)


def seeds() -> dict[str, bytes]:
    region = pb.EventFilter(region_prefixes=["1408"], categories=[Category.CATEGORY_FIRE],
                            min_severity=Severity.SEVERITY_WARNING, type_prefixes=["fire."])
    return {
        "subscribe-from-now": bytes([0]) + pb.SubscribeRequest(from_now=True).SerializeToString(),
        "subscribe-resume-filtered": bytes([0x10]) + pb.SubscribeRequest(
            filter=region, after_sequence=900, max_batch_size=1000, max_batch_delay_ms=20,
            heartbeat_interval_ms=5000).SerializeToString(),
        "subscribe-earliest-schools": bytes([0x20]) + pb.SubscribeRequest(
            filter=pb.EventFilter(school_ids=["sch-1", "sch-2"], device_ids=["panel-1"]),
            from_earliest=True).SerializeToString(),
        "list-devices": bytes([1]) + pb.ListDevicesRequest(filter=region).SerializeToString(),
        "list-terminals": bytes([2]) + pb.ListTerminalsRequest(
            filter=pb.EventFilter(device_ids=["sw-1"])).SerializeToString(),
        "get-device": bytes([3]) + pb.GetDeviceRequest(device_id="panel-1").SerializeToString(),
    }


if __name__ == "__main__":
    from fuzz.engine import fuzz

    fuzz(TestOneInput)
