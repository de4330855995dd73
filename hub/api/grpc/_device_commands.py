"""DeviceCommandService: an operator's command to a device (a fire panel's reset), for a
supervisor whose scope covers the device. A device outside the scope answers NOT_FOUND, exactly
like one that does not exist. The command's start and result are journaled (category LINKAGE,
with the operator as ``actor``) before the answer; so is a refusal for the caller's role. Each
command, accepted or refused, also gets its audit record (``campus-hub audit``), saying whether it
came from ``campus-hub panel`` (which sends CLIENT_HEADER: cli and the login name in
CLI_USER_HEADER) or another gRPC client."""
from __future__ import annotations

import grpc
import structlog

from campushub.v1 import device_command_service_pb2 as pb
from hub.access import select
from hub.alarms._audit import RateLimitedLog
from hub.api.grpc.client import CLI_USER_HEADER, CLIENT_HEADER
from hub.linkage import PanelCommandRunner
from hub.linkage._audit import safe_claim

log = structlog.get_logger("api")

__all__ = ["COMMAND_ROLE", "DeviceCommandApi", "SERVICE_NAME"]

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DeviceCommandService"].full_name
#: The role that may command devices (a reset clears a real fire alarm).
COMMAND_ROLE = "supervisor"
_STATUS = {"failed": grpc.StatusCode.FAILED_PRECONDITION, "timed_out": grpc.StatusCode.DEADLINE_EXCEEDED}


class DeviceCommandApi:
    def __init__(self, events, registry, runner: PanelCommandRunner) -> None:
        self.events, self.registry, self.runner = events, registry, runner
        self._refusals = RateLimitedLog(log)

    async def RunPanelCommand(self, request: pb.RunPanelCommandRequest, context) -> pb.RunPanelCommandResponse:
        subscriber = await self.events.caller(context)
        caller = dict(actor=subscriber.id, role=subscriber.role, peer=context.peer(), comment=request.comment,
                      **_client_of(context))
        device, command = request.device_id[:64], request.command[:32]
        entry = self.registry.get(request.device_id)
        in_place = select(subscriber.scope, None, {}).place_matcher()
        if entry is None or not in_place(entry.spec.site.region_code, entry.spec.site.school_id, entry.spec.id):
            reason = f"no device {device!r} in your scope"
            await self.runner.not_found(device, command, reason=reason, **caller)
            await context.abort(grpc.StatusCode.NOT_FOUND, reason)
        if subscriber.role != COMMAND_ROLE:
            self._refusals.warning("device command refused", subscriber=subscriber.id, role=subscriber.role,
                                   device=request.device_id, command=command)
            reason = f"your role {subscriber.role!r} may not command devices; it takes the {COMMAND_ROLE!r} role"
            await self.runner.refused(request.device_id, command, reason=reason, **caller)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, reason)
        result = await self.runner.run(request.device_id, command, **caller)
        if result.phase != "done":
            await context.abort(_STATUS[result.phase], f"{result.reason} (journaled at sequence {result.sequence})")
        return pb.RunPanelCommandResponse(sequence=result.sequence)

    def handlers(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(SERVICE_NAME, {
            "RunPanelCommand": grpc.unary_unary_rpc_method_handler(
                self.RunPanelCommand, request_deserializer=pb.RunPanelCommandRequest.FromString,
                response_serializer=pb.RunPanelCommandResponse.SerializeToString)})


def _client_of(context) -> dict[str, str]:
    """via (cli or grpc) and the CLI's login name, from the request's metadata."""
    metadata = {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}
    if metadata.get(CLIENT_HEADER) == "cli":
        return {"via": "cli", "cli_user": safe_claim(metadata.get(CLI_USER_HEADER, ""))}
    return {"via": "grpc", "cli_user": ""}
