"""A small asyncio client of the hub's API, used by `campus-hub tail/devices`, tests and benches."""
from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from campushub.v1 import alarm_service_pb2 as alarm_pb
from campushub.v1 import alarm_service_pb2_grpc as alarm_grpc
from campushub.v1 import device_command_service_pb2 as command_pb
from campushub.v1 import device_command_service_pb2_grpc as command_grpc
from campushub.v1 import event_hub_service_pb2 as pb
from campushub.v1 import event_hub_service_pb2_grpc as pb_grpc
from campushub.v1 import ledger_service_pb2 as ledger_pb
from campushub.v1 import ledger_service_pb2_grpc as ledger_grpc
from campushub.v1 import report_service_pb2 as report_pb
from campushub.v1 import report_service_pb2_grpc as report_grpc

#: Request metadata of campus-hub's own CLI on a device command: "cli", and the login name that ran
#: it (the hub's audit record says the command came from the CLI, and who ran it by their claim).
CLIENT_HEADER, CLI_USER_HEADER = "x-campushub-client", "x-campushub-cli-user"


def make_filter(*, regions=(), schools=(), categories=(), min_severity=0, types=(), devices=()) -> pb.EventFilter:
    return pb.EventFilter(region_prefixes=list(regions), school_ids=list(schools), categories=list(categories),
                          min_severity=min_severity, type_prefixes=list(types), device_ids=list(devices))


class HubClient:
    def __init__(self, target: str, token: str, *, ca_file: str | None = None) -> None:
        if ca_file:
            with open(ca_file, "rb") as ca:
                credentials = grpc.ssl_channel_credentials(ca.read())
            self.channel = grpc.aio.secure_channel(target, credentials)
        else:
            self.channel = grpc.aio.insecure_channel(target)
        self.stub = pb_grpc.EventHubServiceStub(self.channel)
        self.alarms = alarm_grpc.AlarmServiceStub(self.channel)
        self.reports = report_grpc.ReportServiceStub(self.channel)
        self.ledger = ledger_grpc.LedgerServiceStub(self.channel)
        self.commands = command_grpc.DeviceCommandServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def subscribe(self, event_filter: pb.EventFilter | None = None, *, after: int | None = None,
                  from_earliest: bool = False, max_batch_size: int = 0, max_batch_delay_ms: int = 0,
                  heartbeat_interval_ms: int = 0):
        """The raw call; iterate it for SubscribeResponse messages, cancel() it to stop."""
        request = pb.SubscribeRequest(filter=event_filter, max_batch_size=max_batch_size,
                                      max_batch_delay_ms=max_batch_delay_ms,
                                      heartbeat_interval_ms=heartbeat_interval_ms)
        if after is not None:
            request.after_sequence = after
        elif from_earliest:
            request.from_earliest = True
        else:
            request.from_now = True
        return self.stub.Subscribe(request, metadata=self.metadata)

    async def events(self, event_filter: pb.EventFilter | None = None, **kwargs) -> AsyncIterator:
        """Events one by one, in sequence order."""
        async for response in self.subscribe(event_filter, **kwargs):
            for event in response.batch.events:
                yield event

    async def list_devices(self, event_filter: pb.EventFilter | None = None):
        response = await self.stub.ListDevices(pb.ListDevicesRequest(filter=event_filter), metadata=self.metadata)
        return list(response.devices)

    async def get_device(self, device_id: str):
        response = await self.stub.GetDevice(pb.GetDeviceRequest(device_id=device_id), metadata=self.metadata)
        return response.device

    async def list_terminals(self, event_filter: pb.EventFilter | None = None):
        response = await self.stub.ListTerminals(pb.ListTerminalsRequest(filter=event_filter), metadata=self.metadata)
        return list(response.terminals)

    # --- AlarmService ---
    async def list_alarms(self, event_filter: pb.EventFilter | None = None, *, states=(), priorities=(),
                          page_size: int = 0, page_token: str = "") -> alarm_pb.ListAlarmsResponse:
        return await self.alarms.ListAlarms(alarm_pb.ListAlarmsRequest(
            filter=event_filter, states=list(states), priorities=list(priorities), page_size=page_size,
            page_token=page_token), metadata=self.metadata)

    async def get_alarm(self, alarm_id: str):
        return (await self.alarms.GetAlarm(alarm_pb.GetAlarmRequest(alarm_id=alarm_id), metadata=self.metadata)).alarm

    async def acknowledge_alarm(self, alarm_id: str, expected_revision: int, comment: str = ""):
        request = alarm_pb.AcknowledgeAlarmRequest(alarm_id=alarm_id, expected_revision=expected_revision,
                                                   comment=comment)
        return (await self.alarms.AcknowledgeAlarm(request, metadata=self.metadata)).alarm

    async def add_comment(self, alarm_id: str, comment: str):
        request = alarm_pb.AddCommentRequest(alarm_id=alarm_id, comment=comment)
        return (await self.alarms.AddComment(request, metadata=self.metadata)).alarm

    async def alarm_call(self, name: str, **fields):
        """Any unary AlarmService call by name (``"ShelveAlarm"``, alarm_id=..., duration_seconds=...)."""
        return await getattr(self.alarms, name)(getattr(alarm_pb, f"{name}Request")(**fields), metadata=self.metadata)

    def watch_alarms(self, event_filter: pb.EventFilter | None = None, *, after_revision: int = 0,
                     refresh_batch_size: int = 0):
        """The raw call; iterate it for WatchAlarmsResponse messages, cancel() it to stop. With
        ``refresh_batch_size`` the refresh comes as ``alarm_batch`` messages (see alarm_changes)."""
        request = alarm_pb.WatchAlarmsRequest(filter=event_filter, after_revision=after_revision,
                                              refresh_batch_size=refresh_batch_size)
        return self.alarms.WatchAlarms(request, metadata=self.metadata)

    async def alarm_changes(self, event_filter: pb.EventFilter | None = None, *, after_revision: int = 0,
                            refresh_batch_size: int = 1000) -> AsyncIterator:
        """WatchAlarms as (kind, table_revision, change, alarm) tuples, a refresh's batches taken
        apart: kind is "refresh_start", "alarm" (change "" in the refresh) or "refresh_end" (alarm
        None for the markers)."""
        async for message in self.watch_alarms(event_filter, after_revision=after_revision,
                                               refresh_batch_size=refresh_batch_size):
            kind = message.WhichOneof("kind")
            if kind == "alarm_batch":
                for alarm in message.alarm_batch.alarms:
                    yield "alarm", message.table_revision, "", alarm
            elif kind == "alarm":
                yield kind, message.table_revision, message.change, message.alarm
            else:
                yield kind, message.table_revision, "", None

    # --- ReportService and LedgerService ---
    async def report_call(self, name: str, **fields):
        """Any ReportService call by name (``"GetConnectivityReport"``, filter=..., start=...)."""
        return await getattr(self.reports, name)(getattr(report_pb, f"{name}Request")(**fields),
                                                 metadata=self.metadata)

    async def ledger_call(self, name: str, **fields):
        """Any LedgerService call by name (``"RegisterHazard"``, grade=..., ...)."""
        return await getattr(self.ledger, name)(getattr(ledger_pb, f"{name}Request")(**fields),
                                                metadata=self.metadata)

    # --- DeviceCommandService ---
    async def run_panel_command(self, device_id: str, command: str, comment: str = "", *,
                                cli_user: str | None = None) -> int:
        """Send a panel command; the journal sequence of its result. ``cli_user``: sent by
        ``campus-hub panel`` (the login name that ran it, for the audit record)."""
        metadata = self.metadata
        if cli_user is not None:
            metadata += ((CLIENT_HEADER, "cli"), (CLI_USER_HEADER, cli_user))
        response = await self.commands.RunPanelCommand(command_pb.RunPanelCommandRequest(
            device_id=device_id, command=command, comment=comment), metadata=metadata)
        return response.sequence
