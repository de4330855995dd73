"""AlarmService: the alarm table over gRPC, scoped to the caller like EventHubService.

Reads come from the projection's table; commands go through :meth:`AlarmProjection.command`,
which journals the change before the reply. An alarm outside the caller's scope answers
NOT_FOUND, exactly like an alarm that does not exist.
"""
from __future__ import annotations

from collections.abc import Callable

import grpc
import structlog

from campushub.v1 import alarm_service_pb2 as pb
from hub.access import Selection, Subscriber, least_role, may, select, shown
from hub.alarms import (
    Acknowledge, Alarm, AlarmClass, AlarmNotFound, AlarmProjection, Assign, Close, CommandRefused, Comment, Command,
    Disposition, Escalate, IsaState, SetOutOfService, Shelve, Shelving, Unshelve, change_of, is_change,
)
from hub.alarms._journaled import PRIORITY_SEVERITY
from hub.api.grpc._service import EventHubService, resume_problem
from hub.events import set_timestamp
from hub.journal import JournalCursor, RetentionExceeded

log = structlog.get_logger("api")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AlarmService"].full_name
DEFAULT_PAGE, MAX_PAGE = 100, 1000
_STATES = {state: pb.AlarmState.Value(f"ALARM_STATE_{state.name}") for state in IsaState}
_SHELVING = {shelving: pb.ShelvingState.Value(f"SHELVING_STATE_{shelving.name}") for shelving in Shelving}
_DISPOSITIONS = {pb.Disposition.Value(f"DISPOSITION_{disposition.name}"): disposition for disposition in Disposition}
#: The maximum shelving of an alarm whose class is no longer configured.
_DEFAULT_CLASS = AlarmClass(name="", priority=4)
#: Refusal codes of the model -> status codes.
_REFUSED = {"invalid_argument": grpc.StatusCode.INVALID_ARGUMENT}

Match = Callable[[Alarm], bool]
#: The hub.access action each command needs.
_ACTIONS = {Acknowledge: "acknowledge", Comment: "comment", Assign: "assign", Shelve: "shelve", Unshelve: "unshelve",
            Escalate: "escalate", SetOutOfService: "out_of_service", Close: "close"}


def _alarm_matcher(selection: Selection) -> Match:
    """The selection's predicate over an alarm: its place, its device events' category and type,
    and its priority's severity."""
    match = selection.matcher()
    return lambda a: match(a.region, a.school, a.category, PRIORITY_SEVERITY[a.priority], a.type, a.device)


async def _not_found(alarm_id: str, context) -> None:
    # The same answer whether it does not exist or is another jurisdiction's: ids don't leak.
    await context.abort(grpc.StatusCode.NOT_FOUND, f"no alarm {shown(alarm_id)} in your scope")


def alarm_message(alarm: Alarm, procedure: str = "") -> pb.Alarm:
    message = pb.Alarm(
        id=alarm.id, device_id=alarm.device, type=alarm.type, category=alarm.category, class_name=alarm.class_name,
        priority=alarm.priority, state=_STATES[alarm.state], revision=alarm.revision, active=alarm.active,
        acknowledged=alarm.acknowledged, latched=alarm.latched, shelving=_SHELVING[alarm.shelving],
        suppressed=alarm.suppressed, out_of_service=alarm.out_of_service, condition=alarm.condition,
        occurrence=alarm.occurrence, reactivations=alarm.reactivations, assignee=alarm.assignee,
        escalation_level=alarm.escalation_level, closed=alarm.closed,
        disposition=pb.Disposition.Value(f"DISPOSITION_{alarm.disposition.name}") if alarm.disposition else 0,
        last_actor=alarm.last_actor, last_comment=alarm.last_comment, procedure=procedure)
    message.site.region_code, message.site.school_id, message.site.zone = alarm.region, alarm.school, alarm.zone
    for field in ("shelved_until", "raised_at", "cleared_at", "acknowledged_at", "changed_at"):
        if getattr(alarm, field):
            set_timestamp(getattr(message, field), getattr(alarm, field))
    return message


class AlarmApi:
    def __init__(self, events: EventHubService, projection: AlarmProjection) -> None:
        self.events = events
        self.projection = projection
        self.journal = projection.journal

    def _message(self, alarm: Alarm) -> pb.Alarm:
        alarm_class = self.projection.classes_by_name.get(alarm.class_name)
        message = alarm_message(alarm, alarm_class.procedure if alarm_class else "")
        message.media.extend(self.projection.media.get(alarm.id, ()))  # linkage's snapshots
        return message

    async def _match(self, subscriber: Subscriber, event_filter, context) -> Match:
        return _alarm_matcher(await self.events.selection(subscriber, event_filter, context))

    async def _alarm_in_scope(self, subscriber: Subscriber, alarm_id: str, context) -> Alarm:
        alarm = self.projection.get(alarm_id)
        if alarm is None or not _alarm_matcher(select(subscriber.scope, None, {}))(alarm):
            await _not_found(alarm_id, context)
        return alarm

    # --- reading -------------------------------------------------------------------------------
    async def ListAlarms(self, request: pb.ListAlarmsRequest, context) -> pb.ListAlarmsResponse:
        subscriber = await self.events.caller(context)
        match = await self._match(subscriber, request.filter, context)
        size = request.page_size or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be 0..{MAX_PAGE}, got {size}")
        if any(p not in PRIORITY_SEVERITY for p in request.priorities):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "priorities are 1..4")
        offset = await self._offset(request.page_token, context)
        if any(value not in _STATES.values() for value in request.states):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "states: unknown alarm state")
        states = {state for state, value in _STATES.items() if value in set(request.states)}
        chosen = [a for a in self.projection.table.values()
                  if (a.state in states if states else a.retained)
                  and (not request.priorities or a.priority in request.priorities) and match(a)]
        chosen.sort(key=lambda a: (a.priority, -a.escalation_level, -a.raised_at, a.id))
        page = chosen[offset:offset + size]
        more = offset + size < len(chosen)
        return pb.ListAlarmsResponse(alarms=[self._message(a) for a in page], table_revision=self.projection.position,
                                     next_page_token=str(offset + size) if more else "")

    @staticmethod
    async def _offset(token: str, context) -> int:
        if not token:
            return 0
        if not token.isdigit() or len(token) > 9:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_token is not one this hub gave")
        return int(token)

    async def GetAlarm(self, request: pb.GetAlarmRequest, context) -> pb.GetAlarmResponse:
        subscriber = await self.events.caller(context)
        return pb.GetAlarmResponse(alarm=self._message(await self._alarm_in_scope(subscriber, request.alarm_id,
                                                                                  context)))

    async def WatchAlarms(self, request: pb.WatchAlarmsRequest, context):
        subscriber = await self.events.caller(context)
        match = await self._match(subscriber, request.filter, context)
        after = request.after_revision
        if after:
            problem = resume_problem(self.journal, after, "after_revision", "watch again with after_revision 0")
            if problem:
                await context.abort(grpc.StatusCode.OUT_OF_RANGE, problem)
        else:
            after = self.projection.position
            retained = [a for a in self.projection.table.values() if a.retained and match(a)]
            yield pb.WatchAlarmsResponse(refresh_start=pb.RefreshStart(), table_revision=after)
            for alarm in retained:
                yield pb.WatchAlarmsResponse(alarm=self._message(alarm), table_revision=after)
            yield pb.WatchAlarmsResponse(refresh_end=pb.RefreshEnd(), table_revision=after)
        cursor = JournalCursor.at(self.journal, after)
        try:
            while True:
                entries = await cursor.read()
                if not entries:
                    if not await cursor.wait(timeout=30.0) and self.journal.closed:
                        await context.abort(grpc.StatusCode.UNAVAILABLE, "the hub is stopping; watch again")
                    continue
                for entry in entries:
                    if is_change(entry):
                        change = change_of(entry)
                        if match(change.alarm):
                            yield pb.WatchAlarmsResponse(alarm=self._message(change.alarm), change=change.kind,
                                                         table_revision=change.sequence)
        except RetentionExceeded as exc:
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, str(exc))

    # --- commands ------------------------------------------------------------------------------
    async def _command(self, alarm_id: str, command: Command, context) -> pb.Alarm:
        subscriber = await self.events.caller(context)
        await self._alarm_in_scope(subscriber, alarm_id, context)
        action = _ACTIONS[type(command)]
        if not may(subscriber.role, action):
            self.events.metrics.alarm_commands_refused.labels("role").inc()
            log.warning("alarm command refused: role", subscriber=subscriber.id, role=subscriber.role, action=action)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"your role {subscriber.role!r} may not {action.replace('_', ' ')} alarms; it takes "
                                f"the {least_role(action)!r} role")
        try:
            alarm = await self.projection.command(alarm_id, command, f"subscriber:{subscriber.id}", context.peer())
        except AlarmNotFound:
            await _not_found(alarm_id, context)
        except CommandRefused as exc:
            code = exc.refused.code
            self.events.metrics.alarm_commands_refused.labels(code).inc()
            log.info("alarm command refused", subscriber=subscriber.id, alarm=shown(alarm_id),
                     command=type(command).__name__, code=code)
            status = _REFUSED.get(code, grpc.StatusCode.FAILED_PRECONDITION)
            await context.abort(status, f"{code}: {exc.refused.reason}")
        return self._message(alarm)

    async def AcknowledgeAlarm(self, request: pb.AcknowledgeAlarmRequest, context) -> pb.AcknowledgeAlarmResponse:
        command = Acknowledge(request.expected_revision, request.comment)
        return pb.AcknowledgeAlarmResponse(alarm=await self._command(request.alarm_id, command, context))

    async def AddComment(self, request: pb.AddCommentRequest, context) -> pb.AddCommentResponse:
        return pb.AddCommentResponse(alarm=await self._command(request.alarm_id, Comment(request.comment), context))

    async def AssignAlarm(self, request: pb.AssignAlarmRequest, context) -> pb.AssignAlarmResponse:
        return pb.AssignAlarmResponse(alarm=await self._command(request.alarm_id, Assign(request.assignee), context))

    async def ShelveAlarm(self, request: pb.ShelveAlarmRequest, context) -> pb.ShelveAlarmResponse:
        alarm = self.projection.get(request.alarm_id)
        alarm_class = self.projection.classes_by_name.get(alarm.class_name if alarm else "", _DEFAULT_CLASS)
        command = Shelve(float(request.duration_seconds), alarm_class.max_shelve, request.one_shot)
        return pb.ShelveAlarmResponse(alarm=await self._command(request.alarm_id, command, context))

    async def UnshelveAlarm(self, request: pb.UnshelveAlarmRequest, context) -> pb.UnshelveAlarmResponse:
        return pb.UnshelveAlarmResponse(alarm=await self._command(request.alarm_id, Unshelve(), context))

    async def SetOutOfService(self, request: pb.SetOutOfServiceRequest, context) -> pb.SetOutOfServiceResponse:
        command = SetOutOfService(request.out_of_service)
        return pb.SetOutOfServiceResponse(alarm=await self._command(request.alarm_id, command, context))

    async def CloseAlarm(self, request: pb.CloseAlarmRequest, context) -> pb.CloseAlarmResponse:
        disposition = _DISPOSITIONS.get(request.disposition)
        if disposition is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "disposition must be one of DISPOSITION_REAL, _FALSE, _TEST, _TECHNICAL")
        return pb.CloseAlarmResponse(alarm=await self._command(request.alarm_id, Close(disposition), context))

    async def EscalateAlarm(self, request: pb.EscalateAlarmRequest, context) -> pb.EscalateAlarmResponse:
        command = Escalate(request.level)
        return pb.EscalateAlarmResponse(alarm=await self._command(request.alarm_id, command, context))

    async def GetAlarmHistory(self, request: pb.GetAlarmHistoryRequest, context) -> pb.GetAlarmHistoryResponse:
        subscriber = await self.events.caller(context)
        await self._alarm_in_scope(subscriber, request.alarm_id, context)
        return pb.GetAlarmHistoryResponse(changes=[
            pb.AlarmChange(table_revision=change.sequence, change=change.kind, alarm=self._message(change.alarm),
                           peer=change.peer)
            for change in await self.projection.history(request.alarm_id)])

    def handlers(self) -> grpc.GenericRpcHandler:
        unary = {
            name: (getattr(self, name), getattr(pb, f"{name}Request"), getattr(pb, f"{name}Response"))
            for name in ("ListAlarms", "GetAlarm", "AcknowledgeAlarm", "AddComment", "AssignAlarm", "ShelveAlarm",
                         "UnshelveAlarm", "SetOutOfService", "CloseAlarm", "EscalateAlarm", "GetAlarmHistory")
        }
        methods = {name: grpc.unary_unary_rpc_method_handler(
            method, request_deserializer=request.FromString, response_serializer=response.SerializeToString)
            for name, (method, request, response) in unary.items()}
        methods["WatchAlarms"] = grpc.unary_stream_rpc_method_handler(
            self.WatchAlarms, request_deserializer=pb.WatchAlarmsRequest.FromString,
            response_serializer=pb.WatchAlarmsResponse.SerializeToString)
        return grpc.method_handlers_generic_handler(SERVICE_NAME, methods)
