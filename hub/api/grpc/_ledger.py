"""LedgerService: the hazard ledger over gRPC, scoped to the caller.

Who may do what is hub.ledger._rights (the console asks the same). Refusals are
counted (campushub_report_requests_refused_total) and logged; nothing changes.
"""
from __future__ import annotations

import asyncio

import grpc
import structlog

from campushub.v1 import ledger_service_pb2 as pb
from campushub.v1 import report_service_pb2 as report_pb
from hub.access import FilterError, ScopeError, select, shown
from hub.events import set_timestamp, timestamp_seconds
from hub.ledger import (
    STATES, Comment, Hazard, HazardNotFound, HazardRefused, LedgerProjection, Move, PhotoRef, PhotoRejected,
    ROLES_FOR, RegistrationRefused, Supervise, may_ledger, period, statistics, supervises_from_above,
)

log = structlog.get_logger("api")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["LedgerService"].full_name
DEFAULT_PAGE, MAX_PAGE = 100, 1000
MAX_TEXT = 4000
GRADE_VALUES = {"general": pb.HAZARD_GRADE_GENERAL, "major": pb.HAZARD_GRADE_MAJOR}
GRADE_NAMES = {value: name for name, value in GRADE_VALUES.items()}
STATE_VALUES = {"registered": pb.HAZARD_STATE_REGISTERED, "rectifying": pb.HAZARD_STATE_RECTIFYING,
                "awaiting_acceptance": pb.HAZARD_STATE_AWAITING_ACCEPTANCE, "closed": pb.HAZARD_STATE_CLOSED}
STATE_NAMES = {value: name for name, value in STATE_VALUES.items()}
_LEVELS = {report_pb.REPORT_LEVEL_PROVINCE: "province", report_pb.REPORT_LEVEL_CITY: "city",
           report_pb.REPORT_LEVEL_COUNTY: "county", report_pb.REPORT_LEVEL_SCHOOL: "school"}


def hazard_message(hazard: Hazard) -> pb.Hazard:
    message = pb.Hazard(
        id=hazard.id, grade=GRADE_VALUES.get(hazard.grade, 0), category=hazard.category, location=hazard.location,
        description=hazard.description, source=hazard.source, responsible=hazard.responsible,
        state=STATE_VALUES[hazard.state], supervised=hazard.supervised, supervised_by=hazard.supervised_by,
        overdue=hazard.overdue, device_id=hazard.device, last_actor=hazard.last_actor,
        last_comment=hazard.last_comment, revision=hazard.revision, fault_cleared=hazard.fault_cleared)
    message.site.region_code, message.site.school_id = hazard.region, hazard.school
    plan = message.plan
    plan.measures, plan.funds, plan.people, plan.contingency = (
        hazard.plan_measures, hazard.plan_funds, hazard.plan_people, hazard.plan_contingency)
    if hazard.plan_deadline:
        set_timestamp(plan.deadline, hazard.plan_deadline)
    for field in ("deadline", "registered_at", "closed_at", "changed_at"):
        if getattr(hazard, field):
            set_timestamp(getattr(message, field), getattr(hazard, field))
    for text in filter(None, hazard.photos.split(",")):
        ref = PhotoRef.parse(text)
        message.photos.add(id=ref.id, mime_type=ref.mime_type, size=ref.size)
    return message


class LedgerApi:
    def __init__(self, events, ledger: LedgerProjection, refused=None) -> None:
        self.events = events
        self.ledger = ledger
        self.refused = refused

    async def _refuse(self, context, code, reason: str, message: str, subscriber=None) -> None:
        if self.refused is not None:
            self.refused.labels(reason).inc()
        log.info("ledger request refused", reason=reason, subscriber=getattr(subscriber, "id", ""), detail=message)
        await context.abort(code, message)

    def _school_regions(self) -> dict[str, str]:
        regions = {h.school: h.region for h in self.ledger.entries()}
        regions.update(self.events.school_regions())
        return regions

    async def _matcher(self, subscriber, event_filter, context):
        try:
            selection = select(subscriber.scope, event_filter, self._school_regions())
        except FilterError as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "filter", str(exc), subscriber)
        except ScopeError as exc:
            await self._refuse(context, grpc.StatusCode.PERMISSION_DENIED, "scope", str(exc), subscriber)
        in_place = selection.place_matcher()
        return lambda h: in_place(h.region, h.school, h.device)

    async def _in_scope(self, subscriber, hazard_id: str, context) -> Hazard:
        hazard = self.ledger.get(hazard_id)
        if hazard is None or not select(subscriber.scope, None, {}).place_matcher()(hazard.region, hazard.school,
                                                                                   hazard.device):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no hazard entry {shown(hazard_id)} in your scope")
        return hazard

    async def _may_write(self, subscriber, context, what: str, action: str) -> None:
        roles = ROLES_FOR[action]
        if not may_ledger(subscriber.role, action):
            await self._refuse(context, grpc.StatusCode.PERMISSION_DENIED, "role",
                               f"your role {subscriber.role!r} may not {what}; it takes the "
                               f"{' or '.join(sorted(roles))} role", subscriber)

    @staticmethod
    def _actor(subscriber) -> str:
        return f"subscriber:{subscriber.id}"

    async def _text(self, context, subscriber, **fields: str) -> None:
        for name, value in fields.items():
            if len(value) > MAX_TEXT:
                await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "text",
                                   f"{name} has {len(value)} characters; at most {MAX_TEXT}", subscriber)

    async def _command(self, subscriber, hazard_id: str, command, context) -> pb.Hazard:
        try:
            hazard = await self.ledger.command(hazard_id, command, self._actor(subscriber), context.peer())
        except HazardNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no hazard entry {shown(hazard_id)} in your scope")
        except HazardRefused as exc:
            code = exc.refused.code
            status = grpc.StatusCode.INVALID_ARGUMENT if code == "invalid_argument" else \
                grpc.StatusCode.FAILED_PRECONDITION
            await self._refuse(context, status, code, f"{code}: {exc.refused.reason}", subscriber)
        return hazard_message(hazard)

    # --- writing ------------------------------------------------------------------------------
    async def RegisterHazard(self, request, context) -> pb.RegisterHazardResponse:
        subscriber = await self.events.caller(context)
        await self._may_write(subscriber, context, "register hazards", "register")
        await self._text(context, subscriber, description=request.description, location=request.location,
                         responsible=request.responsible, comment=request.comment, category=request.category)
        if request.grade not in GRADE_NAMES:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "grade",
                               "unknown grade; expected HAZARD_GRADE_GENERAL (一般) or HAZARD_GRADE_MAJOR (重大)",
                               subscriber)
        region = self._school_regions().get(request.school_id, "")
        if not request.school_id or not select(subscriber.scope, None, {}).place_matcher()(
                region, request.school_id, ""):
            await self._refuse(context, grpc.StatusCode.PERMISSION_DENIED, "scope",
                               f"school {shown(request.school_id)} is not one in your scope", subscriber)
        plan = request.plan
        hazard = Hazard(
            id="", grade=GRADE_NAMES[request.grade], category=request.category, region=region,
            school=request.school_id, description=request.description, location=request.location,
            source="inspection", responsible=request.responsible,
            deadline=timestamp_seconds(request.deadline) if request.HasField("deadline") else 0.0,
            plan_measures=plan.measures, plan_funds=plan.funds, plan_people=plan.people,
            plan_deadline=timestamp_seconds(plan.deadline) if plan.HasField("deadline") else 0.0,
            plan_contingency=plan.contingency, device=request.device_id, last_comment=request.comment)
        try:
            hazard = await self.ledger.register(hazard, self._actor(subscriber), context.peer(),
                                                tuple(request.photos))
        except RegistrationRefused as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "registration", str(exc), subscriber)
        except PhotoRejected as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "photo", str(exc), subscriber)
        return pb.RegisterHazardResponse(hazard=hazard_message(hazard))

    async def MoveHazard(self, request, context) -> pb.MoveHazardResponse:
        subscriber = await self.events.caller(context)
        await self._in_scope(subscriber, request.hazard_id, context)
        to = STATE_NAMES.get(request.to)
        if to is None:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "state",
                               "to: expected HAZARD_STATE_RECTIFYING, _AWAITING_ACCEPTANCE or _CLOSED", subscriber)
        if to == "closed":
            await self._may_write(subscriber, context, "close entries (销号)", "close")
        else:
            await self._may_write(subscriber, context, "move entries", "move")
        await self._text(context, subscriber, comment=request.comment)
        command = Move(to, request.comment, request.expected_revision)
        return pb.MoveHazardResponse(hazard=await self._command(subscriber, request.hazard_id, command, context))

    async def CommentHazard(self, request, context) -> pb.CommentHazardResponse:
        subscriber = await self.events.caller(context)
        await self._in_scope(subscriber, request.hazard_id, context)
        await self._may_write(subscriber, context, "comment", "comment")
        await self._text(context, subscriber, comment=request.comment)
        hazard = await self._command(subscriber, request.hazard_id, Comment(request.comment), context)
        return pb.CommentHazardResponse(hazard=hazard)

    async def AttachHazardPhoto(self, request, context) -> pb.AttachHazardPhotoResponse:
        subscriber = await self.events.caller(context)
        await self._in_scope(subscriber, request.hazard_id, context)
        await self._may_write(subscriber, context, "add photos", "photo")
        await self._text(context, subscriber, comment=request.comment)
        try:
            hazard = await self.ledger.add_photo(request.hazard_id, request.photo, self._actor(subscriber),
                                                 request.comment, context.peer())
        except PhotoRejected as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "photo", str(exc), subscriber)
        except HazardRefused as exc:
            await self._refuse(context, grpc.StatusCode.FAILED_PRECONDITION, exc.refused.code,
                               f"{exc.refused.code}: {exc.refused.reason}", subscriber)
        return pb.AttachHazardPhotoResponse(hazard=hazard_message(hazard))

    async def SuperviseHazard(self, request, context) -> pb.SuperviseHazardResponse:
        subscriber = await self.events.caller(context)
        hazard = await self._in_scope(subscriber, request.hazard_id, context)
        await self._may_write(subscriber, context, "set 挂牌督办", "supervise")
        if not supervises_from_above(subscriber.scope, hazard):
            await self._refuse(context, grpc.StatusCode.PERMISSION_DENIED, "level",
                               "挂牌督办 is set by a higher level: your scope reaches this entry only as its "
                               "school, not from a county, city or province prefix", subscriber)
        await self._text(context, subscriber, comment=request.comment)
        command = Supervise(request.supervised, subscriber.id, request.comment)
        return pb.SuperviseHazardResponse(hazard=await self._command(subscriber, request.hazard_id, command, context))

    # --- reading ------------------------------------------------------------------------------
    async def GetHazard(self, request, context) -> pb.GetHazardResponse:
        subscriber = await self.events.caller(context)
        return pb.GetHazardResponse(hazard=hazard_message(await self._in_scope(subscriber, request.hazard_id,
                                                                               context)))

    async def ListHazards(self, request, context) -> pb.ListHazardsResponse:
        subscriber = await self.events.caller(context)
        match = await self._matcher(subscriber, request.filter, context)
        size = request.page_size or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "page",
                               f"page_size must be 0..{MAX_PAGE}", subscriber)
        token = request.page_token
        if token and (not (token.isascii() and token.isdigit()) or len(token) > 9):
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "page",
                               "page_token is not one this hub gave", subscriber)
        offset = int(token or 0)
        if any(state not in STATE_NAMES for state in request.states) or any(
                grade not in GRADE_NAMES for grade in request.grades):
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "filter", "unknown state or grade",
                               subscriber)
        states = {STATE_NAMES[s] for s in request.states}
        grades = {GRADE_NAMES[g] for g in request.grades}
        categories = set(request.categories)
        now = self.ledger.clock()
        chosen = [h for h in self.ledger.entries()
                  if (not states or h.state in states) and (not grades or h.grade in grades)
                  and (not categories or h.category in categories)
                  and (not request.overdue_only or h.past_deadline(now))
                  and (not request.supervised_only or h.supervised) and match(h)]
        # Most pressing first: open before closed, then the earliest deadline.
        chosen.sort(key=lambda h: (h.closed, h.deadline, h.id))
        page = chosen[offset:offset + size]
        more = offset + size < len(chosen)
        return pb.ListHazardsResponse(hazards=[hazard_message(h) for h in page], total=len(chosen),
                                      next_page_token=str(offset + size) if more else "")

    async def GetHazardPhoto(self, request, context) -> pb.GetHazardPhotoResponse:
        subscriber = await self.events.caller(context)
        hazard = await self._in_scope(subscriber, request.hazard_id, context)
        for text in filter(None, hazard.photos.split(",")):
            ref = PhotoRef.parse(text)
            if ref.id == request.photo_id:
                try:
                    photo = await asyncio.to_thread(self.ledger.photos.get, ref)
                except (OSError, KeyError) as exc:
                    log.error("a ledger photo is missing from its store", hazard=hazard.id, photo=ref.id,
                              error=repr(exc))
                    await context.abort(grpc.StatusCode.NOT_FOUND, f"entry {shown(hazard.id)}'s photo "
                                        f"{shown(ref.id)} is no longer in the store")
                return pb.GetHazardPhotoResponse(photo=photo, mime_type=ref.mime_type)
        await context.abort(grpc.StatusCode.NOT_FOUND, f"entry {shown(hazard.id)} has no photo "
                            f"{shown(request.photo_id)}")

    async def GetHazardHistory(self, request, context) -> pb.GetHazardHistoryResponse:
        subscriber = await self.events.caller(context)
        await self._in_scope(subscriber, request.hazard_id, context)
        return pb.GetHazardHistoryResponse(changes=[
            pb.HazardChange(sequence=sequence, change=kind, hazard=hazard_message(hazard))
            for sequence, kind, hazard in await self.ledger.history(request.hazard_id)])

    async def GetHazardStatistics(self, request, context) -> pb.GetHazardStatisticsResponse:
        subscriber = await self.events.caller(context)
        match = await self._matcher(subscriber, request.filter, context)
        reports = self.ledger.reports
        offset = reports.settings.utc_offset if reports is not None else 8 * 3600.0
        try:
            start, end = period(request.year, request.quarter, offset)
        except ValueError as exc:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "period", str(exc), subscriber)
        level = _LEVELS.get(request.level or report_pb.REPORT_LEVEL_COUNTY)
        if level is None:
            await self._refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "level", "unknown level", subscriber)
        names = {}
        if reports is not None:
            names = reports.settings.school_names if level == "school" else reports.settings.region_names
        response = pb.GetHazardStatisticsResponse()
        set_timestamp(response.start, start)
        set_timestamp(response.end, end)
        for stats in statistics(self.ledger.entries(), start, end, level, self.ledger.clock(), match):
            response.places.add(
                level=request.level or report_pb.REPORT_LEVEL_COUNTY, code=stats.code,
                name=names.get(stats.code, stats.code), registered=stats.registered,
                general=stats.by_grade.get("general", 0), major=stats.by_grade.get("major", 0),
                state_registered=stats.by_state["registered"], state_rectifying=stats.by_state["rectifying"],
                state_awaiting_acceptance=stats.by_state["awaiting_acceptance"],
                state_closed=stats.by_state["closed"], overdue=stats.overdue, on_time_rate=stats.on_time_rate,
                mean_rectify_seconds=stats.mean_rectify_seconds)
        return response

    def handlers(self) -> grpc.GenericRpcHandler:
        names = ("RegisterHazard", "ListHazards", "GetHazard", "MoveHazard", "CommentHazard", "AttachHazardPhoto",
                 "GetHazardPhoto", "SuperviseHazard", "GetHazardHistory", "GetHazardStatistics")
        methods = {name: grpc.unary_unary_rpc_method_handler(
            getattr(self, name), request_deserializer=getattr(pb, f"{name}Request").FromString,
            response_serializer=getattr(pb, f"{name}Response").SerializeToString) for name in names}
        return grpc.method_handlers_generic_handler(SERVICE_NAME, methods)


__all__ = ["GRADE_VALUES", "LedgerApi", "SERVICE_NAME", "STATES", "STATE_VALUES", "hazard_message"]
