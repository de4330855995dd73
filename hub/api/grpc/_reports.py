"""ReportService: connectivity and test-compliance reports over gRPC, scoped to the caller.

Figures come from :class:`hub.reports.ReportProjection` (see hub.reports._figures for what each
one means). Only places in the caller's scope are reported; a filter reaching outside it is
PERMISSION_DENIED, as for every other call. A bad window is refused, counted and logged.
"""
from __future__ import annotations

import grpc
import structlog

from campushub.v1 import report_service_pb2 as pb
from hub.access import FilterError, ScopeError, select
from hub.events import set_timestamp, timestamp_seconds
from hub.reports import DEVICE_CLASSES, ReportProjection, compliance, connectivity
from hub.reports._figures import ALL_CLASSES

log = structlog.get_logger("api")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ReportService"].full_name
LEVEL_VALUES = {"province": pb.REPORT_LEVEL_PROVINCE, "city": pb.REPORT_LEVEL_CITY,
                "county": pb.REPORT_LEVEL_COUNTY, "school": pb.REPORT_LEVEL_SCHOOL}
LEVEL_NAMES = {value: name for name, value in LEVEL_VALUES.items()}
#: A window longer than this is refused as absurd whatever the retention.
MAX_WINDOW = 366 * 86400.0
#: How far in the future a window may end (clocks differ a little).
CLOCK_SLACK = 60.0


class ReportApi:
    def __init__(self, events, projection: ReportProjection, refused=None) -> None:
        self.events = events
        self.projection = projection
        #: A Counter (labels: reason) of refused requests.
        self.refused = refused

    def school_regions(self) -> dict[str, str]:
        regions = {track.school: track.region for track in self.projection.facts.tracks.values()}
        regions.update(self.events.school_regions())
        return regions

    async def _refuse(self, context, code, reason: str, message: str, subscriber=None) -> None:
        if self.refused is not None:
            self.refused.labels(reason).inc()
        log.info("report request refused", reason=reason, subscriber=getattr(subscriber, "id", ""), detail=message)
        await context.abort(code, message)

    async def place_filter(self, subscriber, event_filter, context):
        """The caller's places (scope narrowed by the filter) as a predicate over a track."""
        try:
            selection = select(subscriber.scope, event_filter, self.school_regions())
        except FilterError as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "filter", str(exc), subscriber)
        except ScopeError as exc:
            self.events.metrics.auth_failures.labels("scope").inc()
            await self._refuse(context, grpc.StatusCode.PERMISSION_DENIED, "scope", str(exc), subscriber)
        in_place = selection.place_matcher()
        return lambda track: in_place(track.region, track.school, track.device)

    async def window(self, request, context, subscriber) -> tuple[float, float]:
        """(start, end) of the request: checked against the clock and what the journal retains."""
        projection = self.projection
        settings = projection.settings
        now = projection.clock()
        retained_from = projection.earliest_time
        if settings.retention:
            retained_from = max(retained_from, now - settings.retention)
        has_start, has_end = request.HasField("start"), request.HasField("end")
        if not has_start and not has_end:
            return max(now - settings.networked_lookback, min(retained_from, now)), now
        if has_start != has_end:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "window",
                               "give both start and end of the window, or neither (a report for now)", subscriber)
        start, end = timestamp_seconds(request.start), timestamp_seconds(request.end)
        problem = None
        if end <= start:
            problem = "the window ends before it starts; expected start < end"
        elif end > now + CLOCK_SLACK:
            problem = "the window ends in the future; expected an end at or before now"
        elif end - start > MAX_WINDOW:
            problem = f"a window of {(end - start) / 86400:.0f} days is longer than a report covers (at most 366 days)"
        if problem:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "window", problem, subscriber)
        if start < retained_from - 1.0:
            days = f"{settings.retention / 86400:g} days" if settings.retention else "since the journal began"
            await self._refuse(context, grpc.StatusCode.OUT_OF_RANGE, "retention",
                               f"the window starts before what the journal retains: it holds events from "
                               f"{_iso(retained_from)} (retention {days}); start at or after that", subscriber)
        return start, min(end, now)

    async def GetConnectivityReport(self, request, context) -> pb.GetConnectivityReportResponse:
        subscriber = await self.events.caller(context)
        include = await self.place_filter(subscriber, request.filter, context)
        unknown = [name for name in request.device_classes if name not in DEVICE_CLASSES]
        if unknown:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "device_class",
                               f"unknown device class {unknown[0][:40]!r}; expected one of "
                               f"{', '.join(DEVICE_CLASSES)}", subscriber)
        if any(level not in LEVEL_NAMES for level in request.levels):
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "level",
                               "levels: expected REPORT_LEVEL_PROVINCE, _CITY, _COUNTY or _SCHOOL", subscriber)
        start, end = await self.window(request, context, subscriber)
        levels = [LEVEL_NAMES[level] for level in request.levels] or list(LEVEL_VALUES)
        rows = connectivity(self.projection.facts, self.projection.settings, start, end, include, levels,
                            request.device_classes)
        response = pb.GetConnectivityReportResponse(journal_position=self.projection.position,
                                                    hub_id=self.events.hub_id)
        set_timestamp(response.start, start)
        set_timestamp(response.end, end)
        for row in rows:
            response.rows.add(level=LEVEL_VALUES[row.level], code=row.code, name=row.name,
                              device_class=row.device_class, inventory=row.inventory, networked=row.networked,
                              online=row.online, networked_rate=row.networked_rate, online_rate=row.online_rate,
                              online_now_rate=row.online_now_rate, online_seconds=row.online_seconds,
                              inventory_seconds=row.inventory_seconds)
        return response

    async def GetComplianceReport(self, request, context) -> pb.GetComplianceReportResponse:
        subscriber = await self.events.caller(context)
        include = await self.place_filter(subscriber, request.filter, context)
        now = self.projection.clock()
        at = timestamp_seconds(request.at) if request.HasField("at") else now
        if at > now + CLOCK_SLACK or at < self.projection.earliest_time - 1.0:
            await self._refuse(context, grpc.StatusCode.OUT_OF_RANGE, "window",
                               f"at must be between {_iso(self.projection.earliest_time)} (the oldest retained "
                               f"event) and now", subscriber)
        result = compliance(self.projection.facts, self.projection.settings, min(at, now), include)
        response = pb.GetComplianceReportResponse(
            panic_intact_rate=result.panic_rate, panic_devices=len(result.panic),
            panic_passed=sum(t.passed for t in result.panic))
        set_timestamp(response.at, min(at, now))
        for test in result.panic:
            message = response.panic_tests.add(device_id=test.device, school_id=test.school, region_code=test.region,
                                               passed=test.passed, last_delay_seconds=test.last_delay,
                                               reason=test.reason)
            if test.last_test_at:
                set_timestamp(message.last_test_at, test.last_test_at)
        for fire in result.fire:
            response.fire_tests.add(device_id=fire.device, school_id=fire.school, region_code=fire.region,
                                    month=fire.month, transmissions=fire.transmissions, required=fire.required,
                                    passed=fire.passed)
        for day in result.false_alarm_days:
            response.false_alarm_days.add(device_id=day.device, school_id=day.school, region_code=day.region,
                                          day=day.day, false_alarms=day.count)
        return response

    def handlers(self) -> grpc.GenericRpcHandler:
        methods = {
            name: grpc.unary_unary_rpc_method_handler(
                getattr(self, name), request_deserializer=getattr(pb, f"{name}Request").FromString,
                response_serializer=getattr(pb, f"{name}Response").SerializeToString)
            for name in ("GetConnectivityReport", "GetComplianceReport")
        }
        return grpc.method_handlers_generic_handler(SERVICE_NAME, methods)


def _iso(at: float) -> str:
    import datetime as dt
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


__all__ = ["ALL_CLASSES", "LEVEL_NAMES", "LEVEL_VALUES", "ReportApi", "SERVICE_NAME"]
