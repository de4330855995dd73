"""AlarmService: the alarm table over gRPC, scoped to the caller like EventHubService.

Reads come from the projection's table; commands go through :meth:`AlarmProjection.command`,
which journals the change before the reply. An alarm outside the caller's scope answers
NOT_FOUND, exactly like an alarm that does not exist.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import grpc
import structlog

from campushub.v1 import alarm_service_pb2 as pb
from hub.access import Selection, Subscriber, least_role, may, select, shown
from hub.alarms import (
    LEVELS, Acknowledge, Alarm, AlarmClass, AlarmNotFound, AlarmProjection, Assign, Close, CommandRefused, Comment, Command,
    Disposition, Escalate, IsaState, SetOutOfService, Shelve, Shelving, Unshelve, is_change,
)
from hub.alarms._audit import ACCEPTED, MAX_FIELD, REFUSED, AuditRecord, RateLimitedLog
from hub.alarms._journaled import PRIORITY_SEVERITY
from hub.alarms._kpis import KEEP
from hub.api.grpc import _alarm_wire as wire
from hub.api.grpc._service import EventHubService, resume_problem
from hub.events import set_timestamp
from hub.journal import JournalCursor, RetentionExceeded
from hub.regions import level_of
from hub.tasks import cancel_and_wait

log = structlog.get_logger("api")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AlarmService"].full_name
DEFAULT_PAGE, MAX_PAGE = 100, 1000
MAX_REFRESH_BATCH = 1000
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


def _identity(data: bytes) -> bytes:
    return data


def _alarm_matcher(selection: Selection) -> Match:
    """The selection's predicate over an alarm: its place, its device events' category and type,
    and its priority's severity."""
    match = selection.matcher()
    return lambda a: match(a.region, a.school, a.category, PRIORITY_SEVERITY[a.priority], a.type, a.device)


async def _not_found(alarm_id: str, context) -> None:
    # The same answer whether it does not exist or is another jurisdiction's: ids don't leak.
    await context.abort(grpc.StatusCode.NOT_FOUND, f"no alarm {shown(alarm_id)} in your scope")


def _audit_message(record: AuditRecord) -> pb.AuditRecord:
    # A panel command's record says so in its action ("panel.reset"); its details name the panel.
    action = record.action if record.subject == "alarm" else f"{record.subject}.{record.action}"
    message = pb.AuditRecord(sequence=record.sequence, principal=record.principal, role=record.role, peer=record.peer,
                             action=action, alarm_id=record.alarm_id, outcome=record.outcome, code=record.code,
                             reason=record.reason, details=record.details, revision=record.revision)
    set_timestamp(message.at, record.at)
    return message


def duty_level(scope) -> int:
    """The duty desk a scope is: 0 a school's, 1 a county's, 2 a city's, 3 a province's (its widest
    region prefix; every region is a province's)."""
    if scope.all_regions:
        return len(LEVELS)
    return max((LEVELS.index(level_of(prefix)) + 1 for prefix in scope.region_prefixes), default=0)


def escalated_to(alarm: Alarm, level: int) -> bool:
    return 0 < level <= alarm.escalation_level


def alarm_message(alarm: Alarm, procedure: str = "", caller_level: int = 0) -> pb.Alarm:
    message = pb.Alarm(
        id=alarm.id, device_id=alarm.device, type=alarm.type, category=alarm.category, class_name=alarm.class_name,
        priority=alarm.priority, state=_STATES[alarm.state], revision=alarm.revision, active=alarm.active,
        acknowledged=alarm.acknowledged, latched=alarm.latched, shelving=_SHELVING[alarm.shelving],
        suppressed=alarm.suppressed, out_of_service=alarm.out_of_service, condition=alarm.condition,
        occurrence=alarm.occurrence, reactivations=alarm.reactivations, assignee=alarm.assignee,
        escalation_level=alarm.escalation_level, closed=alarm.closed,
        disposition=pb.Disposition.Value(f"DISPOSITION_{alarm.disposition.name}") if alarm.disposition else 0,
        last_actor=alarm.last_actor, last_comment=alarm.last_comment, procedure=procedure,
        escalated_to=LEVELS[alarm.escalation_level - 1] if alarm.escalation_level else "",
        escalated_to_you=escalated_to(alarm, caller_level), needs_action=alarm.needs_action)
    message.site.region_code, message.site.school_id, message.site.zone = alarm.region, alarm.school, alarm.zone
    message.site.building = alarm.building
    for field in ("shelved_until", "raised_at", "cleared_at", "acknowledged_at", "changed_at"):
        if getattr(alarm, field):
            set_timestamp(getattr(message, field), getattr(alarm, field))
    return message


class AlarmApi:
    def __init__(self, events: EventHubService, projection: AlarmProjection) -> None:
        self.events = events
        self.projection = projection
        self.journal = projection.journal
        self._refusals = RateLimitedLog(log)
        self._encoded = wire.EncodedAlarms(self._message, escalated_to)
        self._encoder: asyncio.Task | None = None
        #: Set once the alarms the table held at start are encoded (see start_encoding).
        self.encoded_at_start = asyncio.Event()

    # --- encoding in the background -------------------------------------------------------------
    @property
    def encoded(self) -> wire.EncodedAlarms:
        """What WatchAlarms keeps encoded (see hub.api.grpc._alarm_wire)."""
        return self._encoded

    def start_encoding(self) -> None:
        """Encode the retained alarms in the background (the projection has rebuilt its table), so
        the first refresh after a start does not pay for it; see hub.api.grpc._alarm_wire."""
        self._encoder = asyncio.get_running_loop().create_task(self._encode_at_start())

    async def stop_encoding(self) -> None:
        await cancel_and_wait((self._encoder,))

    async def _encode_at_start(self) -> None:
        started = time.perf_counter()
        try:
            count = await wire.encode_in_chunks(list(self.projection.table), self._encode_current)
        except Exception:  # a refresh encodes what is missing itself
            log.exception("encoding the alarms in the background failed; refreshes encode them")
            return
        finally:
            self.encoded_at_start.set()
        log.info("alarms encoded for WatchAlarms", alarms=count, seconds=round(time.perf_counter() - started, 3))

    def _encode_current(self, alarm_id: str) -> None:
        alarm = self.projection.table.get(alarm_id)
        if alarm is None or not alarm.retained:  # (gone since, or not sent in a refresh)
            return
        self._encode(alarm, 0)
        if alarm.escalation_level:  # the desks it was escalated to see escalated_to_you
            self._encode(alarm, alarm.escalation_level)

    def _message(self, alarm: Alarm, caller_level: int = 0) -> pb.Alarm:
        alarm_class = self.projection.settings.of(alarm)
        message = alarm_message(alarm, alarm_class.procedure if alarm_class else "", caller_level)
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
        level = duty_level(subscriber.scope)
        chosen = [a for a in self.projection.table.values()
                  if (a.state in states if states else a.retained)
                  and (not request.needs_action or a.needs_action)
                  and (not request.escalated_to_me or escalated_to(a, level))
                  and (not request.priorities or a.priority in request.priorities) and match(a)]
        if request.needs_action:  # the duty desk's view: what reached this desk first
            chosen.sort(key=lambda a: (not escalated_to(a, level), a.priority, -a.escalation_level, -a.raised_at, a.id))
        else:
            chosen.sort(key=lambda a: (a.priority, -a.escalation_level, -a.raised_at, a.id))
        page = chosen[offset:offset + size]
        more = offset + size < len(chosen)
        return pb.ListAlarmsResponse(alarms=[self._message(a, level) for a in page],
                                     table_revision=self.projection.position,
                                     next_page_token=str(offset + size) if more else "")

    @staticmethod
    async def _offset(token: str, context) -> int:
        if not token:
            return 0
        if not (token.isascii() and token.isdigit()) or len(token) > 9:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_token is not one this hub gave")
        return int(token)

    async def GetAlarm(self, request: pb.GetAlarmRequest, context) -> pb.GetAlarmResponse:
        subscriber = await self.events.caller(context)
        alarm = await self._alarm_in_scope(subscriber, request.alarm_id, context)
        return pb.GetAlarmResponse(alarm=self._message(alarm, duty_level(subscriber.scope)))

    async def WatchAlarms(self, request: pb.WatchAlarmsRequest, context):
        """Yields wire bytes (hub.api.grpc._alarm_wire): the handler sends them as they are."""
        subscriber = await self.events.caller(context)
        match = await self._match(subscriber, request.filter, context)
        level = duty_level(subscriber.scope)
        batch_size = request.refresh_batch_size
        if batch_size > MAX_REFRESH_BATCH:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"refresh_batch_size must be 0..{MAX_REFRESH_BATCH}, got {batch_size}")
        after = request.after_revision
        if after:
            problem = resume_problem(self.journal, after, "after_revision", "watch again with after_revision 0")
            if problem:
                await context.abort(grpc.StatusCode.OUT_OF_RANGE, problem)
        else:
            after = self.projection.position
            table = self.projection.table
            self._encoded.forget_absent(table)
            retained = [a for a in table.values() if a.retained and match(a)]
            yield wire.refresh_start(after)
            if batch_size:
                for message in wire.batch_responses((self._encode(a, level) for a in retained), after, batch_size):
                    yield message
            else:
                for alarm in retained:
                    yield wire.alarm_response(self._encode(alarm, level), after)
            yield wire.refresh_end(after)
        cursor = JournalCursor.at(self.journal, after)
        try:
            while True:
                entries = await cursor.read()
                if not entries:
                    if not await self._wait_for_changes(cursor.position) and self.journal.closed:
                        await context.abort(grpc.StatusCode.UNAVAILABLE, "the hub is stopping; watch again")
                    continue
                for entry in entries:
                    if is_change(entry):
                        change = self.projection.decoded_change(entry)
                        if match(change.alarm):
                            yield wire.alarm_response(self._encode(change.alarm, level), change.sequence, change.kind)
        except RetentionExceeded as exc:
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, str(exc))

    def _encode(self, alarm: Alarm, caller_level: int) -> bytes:
        alarm_class = self.projection.settings.of(alarm)
        media = self.projection.media.get(alarm.id)
        return self._encoded.get(alarm, caller_level,
                                 (alarm_class.procedure if alarm_class else "", len(media) if media else 0))

    async def _wait_for_changes(self, position: int) -> bool:
        """Until the alarm table has applied entries beyond ``position`` (so the changes among them
        were decoded once, by the projection, for every watcher), at most 30 s; then whether the
        journal has entries beyond it (a watcher reads on even if the table stalled)."""
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancellation (the client
            # gone) that arrives as the table advances (gh-86296), and the watch would go on.
            async with asyncio.timeout(30.0):
                await self.projection.wait_beyond(position)
        except TimeoutError:
            pass
        return self.journal.head > position

    # --- commands ------------------------------------------------------------------------------
    async def _command(self, alarm_id: str, command: Command, context, details: str = "") -> pb.Alarm:
        """Give ``command``: whatever the outcome, it is journaled as an audit record (principal,
        role, peer, time, what, outcome) before the answer; a refusal changes no alarm."""
        subscriber = await self.events.caller(context)
        action = _ACTIONS[type(command)]
        record = AuditRecord(principal=subscriber.id, role=subscriber.role, peer=context.peer()[:200], action=action,
                             alarm_id=alarm_id[:MAX_FIELD], outcome=ACCEPTED, details=details)
        known = self.projection.get(alarm_id)
        if known is not None:  # its jurisdiction sees who touched its alarm, in scope or not
            record = dataclasses.replace(record, region=known.region, school=known.school, device=known.device)
        if known is None or not self._in_scope(subscriber, known):
            await self._refuse(record, "not_found", grpc.StatusCode.NOT_FOUND,
                               f"no alarm {shown(alarm_id)} in your scope", context)
        needed = action if may(subscriber.role, action) else None
        if needed and getattr(command, "force", False) and not may(subscriber.role, "force"):
            needed = None
            action = "force"
        if needed is None:
            await self._refuse(record, "role", grpc.StatusCode.PERMISSION_DENIED,
                               f"your role {subscriber.role!r} may not {action.replace('_', ' ')} alarms; it takes "
                               f"the {least_role(action)!r} role", context)
        try:
            alarm = await self.projection.command(alarm_id, command, f"subscriber:{subscriber.id}", context.peer())
        except AlarmNotFound:
            await self._refuse(record, "not_found", grpc.StatusCode.NOT_FOUND,
                               f"no alarm {shown(alarm_id)} in your scope", context)
        except CommandRefused as exc:
            code = exc.refused.code
            await self._refuse(record, code, _REFUSED.get(code, grpc.StatusCode.FAILED_PRECONDITION),
                               f"{code}: {exc.refused.reason}", context)
        await self.projection.record(dataclasses.replace(record, revision=alarm.revision))
        return self._message(alarm, duty_level(subscriber.scope))

    async def _refuse(self, record: AuditRecord, code: str, status: grpc.StatusCode, message: str, context) -> None:
        self.events.metrics.alarm_commands_refused.labels(code).inc()
        self._refusals.warning("alarm command refused", subscriber=record.principal, role=record.role,
                               alarm=shown(record.alarm_id), action=record.action, code=code, peer=record.peer)
        await self.projection.record(dataclasses.replace(record, outcome=REFUSED, code=code, reason=message))
        await context.abort(status, message)

    def _in_scope(self, subscriber: Subscriber, alarm: Alarm) -> bool:
        return _alarm_matcher(select(subscriber.scope, None, {}))(alarm)

    async def AcknowledgeAlarm(self, request: pb.AcknowledgeAlarmRequest, context) -> pb.AcknowledgeAlarmResponse:
        command = Acknowledge(request.expected_revision, request.comment, request.force)
        details = (f"expected_revision={request.expected_revision} force={str(request.force).lower()} "
                   f"comment={len(request.comment)} chars")
        return pb.AcknowledgeAlarmResponse(alarm=await self._command(request.alarm_id, command, context, details))

    async def AddComment(self, request: pb.AddCommentRequest, context) -> pb.AddCommentResponse:
        return pb.AddCommentResponse(alarm=await self._command(request.alarm_id, Comment(request.comment), context,
                                                               f"comment={len(request.comment)} chars"))

    async def AssignAlarm(self, request: pb.AssignAlarmRequest, context) -> pb.AssignAlarmResponse:
        return pb.AssignAlarmResponse(alarm=await self._command(request.alarm_id, Assign(request.assignee), context,
                                                                f"assignee={shown(request.assignee)}"))

    async def ShelveAlarm(self, request: pb.ShelveAlarmRequest, context) -> pb.ShelveAlarmResponse:
        subscriber = await self.events.caller(context)
        alarm = self.projection.get(request.alarm_id)
        settings = (self.projection.settings.of(alarm) if alarm else None) or _DEFAULT_CLASS
        # A supervisor's limit is the class's supervisor_max_shelve, an operator's its max_shelve.
        maximum = settings.supervisor_max_shelve if may(subscriber.role, "long_shelve") else settings.max_shelve
        command = Shelve(float(request.duration_seconds), maximum, request.one_shot)
        details = f"duration={request.duration_seconds}s one_shot={str(request.one_shot).lower()} maximum={maximum:g}s"
        return pb.ShelveAlarmResponse(alarm=await self._command(request.alarm_id, command, context, details))

    async def UnshelveAlarm(self, request: pb.UnshelveAlarmRequest, context) -> pb.UnshelveAlarmResponse:
        return pb.UnshelveAlarmResponse(alarm=await self._command(request.alarm_id, Unshelve(), context))

    async def SetOutOfService(self, request: pb.SetOutOfServiceRequest, context) -> pb.SetOutOfServiceResponse:
        command = SetOutOfService(request.out_of_service)
        return pb.SetOutOfServiceResponse(alarm=await self._command(
            request.alarm_id, command, context, f"out_of_service={str(request.out_of_service).lower()}"))

    async def CloseAlarm(self, request: pb.CloseAlarmRequest, context) -> pb.CloseAlarmResponse:
        disposition = _DISPOSITIONS.get(request.disposition, Disposition.REAL)
        details = f"disposition={request.disposition} force={str(request.force).lower()}"
        if request.disposition not in _DISPOSITIONS:
            subscriber = await self.events.caller(context)
            record = AuditRecord(principal=subscriber.id, role=subscriber.role, peer=context.peer()[:200],
                                 action="close", alarm_id=request.alarm_id[:MAX_FIELD], outcome=REFUSED,
                                 details=details)
            await self._refuse(record, "invalid_argument", grpc.StatusCode.INVALID_ARGUMENT,
                               "disposition must be one of DISPOSITION_REAL, _FALSE, _TEST, _TECHNICAL", context)
        command = Close(disposition, request.force)
        return pb.CloseAlarmResponse(alarm=await self._command(request.alarm_id, command, context, details))

    async def EscalateAlarm(self, request: pb.EscalateAlarmRequest, context) -> pb.EscalateAlarmResponse:
        command = Escalate(request.level)
        return pb.EscalateAlarmResponse(alarm=await self._command(request.alarm_id, command, context,
                                                                  f"level={request.level}"))

    async def ListAudit(self, request: pb.ListAuditRequest, context) -> pb.ListAuditResponse:
        subscriber = await self.events.caller(context)
        size = request.page_size or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be 0..{MAX_PAGE}, got {size}")
        before = await self._offset(request.page_token, context) if request.page_token else None
        # By place only: a scope limited to some categories still sees who touched its places' alarms.
        in_place = select(subscriber.scope, None, {}).place_matcher()

        def shown_to_caller(record: AuditRecord) -> bool:
            return ((not request.alarm_id or record.alarm_id == request.alarm_id)
                    and (not request.principal or record.principal == request.principal)
                    and (not request.refused_only or record.outcome == REFUSED)
                    and (record.principal == subscriber.id
                         or (bool(record.region) and in_place(record.region, record.school, record.device))))
        records, more = await self.projection.audit(shown_to_caller, before, size)
        return pb.ListAuditResponse(records=[_audit_message(record) for record in records],
                                    next_page_token=str(records[-1].sequence) if more and records else "")

    async def GetAlarmKpis(self, request: pb.GetAlarmKpisRequest, context) -> pb.GetAlarmKpisResponse:
        subscriber = await self.events.caller(context)
        period = request.period_seconds or 24 * 3600
        if not 1 <= period <= KEEP:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"period_seconds must be 0..{KEEP:.0f}, got {period}")
        place = (await self.events.selection(subscriber, request.filter, context)).place_matcher()
        kpis = self.projection.kpis.report(list(self.projection.table.values()), place, self.projection.clock(),
                                           float(period))
        return pb.GetAlarmKpisResponse(
            period_seconds=period, activations=kpis.activations, activations_per_hour=kpis.activations_per_hour,
            floods=kpis.floods, in_flood=kpis.in_flood, standing=kpis.standing, chattering=kpis.chattering,
            acknowledgements=kpis.acknowledgements, time_to_acknowledge_p50_seconds=kpis.ack_p50 or 0.0,
            time_to_acknowledge_p95_seconds=kpis.ack_p95 or 0.0,
            unacknowledged=[pb.UnacknowledgedCount(priority=p, count=n)
                            for p, n in sorted(kpis.unacknowledged_by_priority.items())])

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
                         "UnshelveAlarm", "SetOutOfService", "CloseAlarm", "EscalateAlarm", "GetAlarmHistory", "ListAudit",
                         "GetAlarmKpis")
        }
        methods = {name: grpc.unary_unary_rpc_method_handler(
            method, request_deserializer=request.FromString, response_serializer=response.SerializeToString)
            for name, (method, request, response) in unary.items()}
        methods["WatchAlarms"] = grpc.unary_stream_rpc_method_handler(
            self.WatchAlarms, request_deserializer=pb.WatchAlarmsRequest.FromString, response_serializer=_identity)
        return grpc.method_handlers_generic_handler(SERVICE_NAME, methods)
