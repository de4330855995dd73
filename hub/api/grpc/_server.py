"""The hub's gRPC listener: EventHubService, AlarmService, health, and server reflection (v1 and v1alpha)."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc
import structlog
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha import reflection_pb2 as reflection_v1alpha
from grpc_reflection.v1alpha import reflection_pb2_grpc as reflection_v1alpha_grpc
from twisted.application import service

from campushub.v1 import event_hub_service_pb2 as pb
from hub.api.grpc._alarms import SERVICE_NAME as ALARM_SERVICE_NAME
from hub.api.grpc._alarms import AlarmApi
from hub.api.grpc._service import SERVICE_NAME, EventHubService

log = structlog.get_logger("api")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
#: Reflection v1 is v1alpha under a stable name (same messages on the wire); newer clients such
#: as grpcurl ask for v1 first.
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


def _identity(data: bytes) -> bytes:
    return data


def add_to_server(api: EventHubService, server: grpc.aio.Server,
                  alarms: AlarmApi | None = None, more: Sequence[tuple[str, grpc.GenericRpcHandler]] = ()
                  ) -> health.aio.HealthServicer:
    """Register the hub's services on ``server``; returns the health servicer."""
    unary = {
        "ListDevices": (api.ListDevices, pb.ListDevicesRequest, pb.ListDevicesResponse),
        "GetDevice": (api.GetDevice, pb.GetDeviceRequest, pb.GetDeviceResponse),
        "ListTerminals": (api.ListTerminals, pb.ListTerminalsRequest, pb.ListTerminalsResponse),
        "GetHubInfo": (api.GetHubInfo, pb.GetHubInfoRequest, pb.GetHubInfoResponse),
    }
    handlers = {name: grpc.unary_unary_rpc_method_handler(
        method, request_deserializer=request.FromString, response_serializer=response.SerializeToString)
        for name, (method, request, response) in unary.items()}
    # Responses are already wire bytes (see hub.api.grpc._streams).
    handlers["Subscribe"] = grpc.unary_stream_rpc_method_handler(
        api.Subscribe, request_deserializer=pb.SubscribeRequest.FromString, response_serializer=_identity)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    services = (SERVICE_NAME,)
    if alarms is not None:
        server.add_generic_rpc_handlers((alarms.handlers(),))
        services += (ALARM_SERVICE_NAME,)
    for name, handler in more:  # MediaService, DeviceCommandService ...
        server.add_generic_rpc_handlers((handler,))
        services += (name,)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    _add_reflection(server, (*services, health.SERVICE_NAME, reflection.SERVICE_NAME, REFLECTION_V1))
    return health_servicer


def _add_reflection(server: grpc.aio.Server, names: tuple[str, ...]) -> None:
    _register_reflection_v1_descriptor()
    servicer = reflection.ReflectionServicer(names)
    reflection_v1alpha_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_v1alpha.ServerReflectionRequest.FromString,
        response_serializer=reflection_v1alpha.ServerReflectionResponse.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(REFLECTION_V1,
                                                                          {"ServerReflectionInfo": v1}),))


def _register_reflection_v1_descriptor() -> None:
    """Describe grpc.reflection.v1 in the default pool (v1alpha's file under v1's package), so
    reflection can describe its own v1 service too."""
    pool = descriptor_pool.Default()
    try:
        pool.FindServiceByName(REFLECTION_V1)
        return
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_v1alpha.DESCRIPTOR.CopyToProto(proto)
    old, new = ".grpc.reflection.v1alpha.", ".grpc.reflection.v1."
    for message in proto.message_type:
        for field in message.field:
            if field.type_name:
                field.type_name = field.type_name.replace(old, new)
    for method in proto.service[0].method:
        method.input_type, method.output_type = method.input_type.replace(old, new), method.output_type.replace(old, new)
    proto.name, proto.package = "grpc/reflection/v1/reflection.proto", "grpc.reflection.v1"
    proto.options.Clear()
    pool.Add(proto)


class GrpcService(service.Service):
    """The gRPC listener as a child of the hub's service tree."""

    name = "grpc"

    def __init__(self, api: EventHubService, address: str, tls=None, alarms: AlarmApi | None = None,
                 more: Sequence[tuple[str, grpc.GenericRpcHandler]] = ()) -> None:
        self.api = api
        self.alarms = alarms
        #: Further services, (full name, generic handler): MediaService, ReportService ... (add_service).
        self.more = list(more)
        self.address = address
        self.tls = tls
        self.server: grpc.aio.Server | None = None
        self.port: int | None = None
        self._health: health.aio.HealthServicer | None = None

    async def start(self) -> None:
        server = grpc.aio.server(options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.max_receive_message_length", 1 << 20),
        ])
        self._health = add_to_server(self.api, server, self.alarms, self.more)
        try:
            if self.tls is not None:
                with open(self.tls.key_file, "rb") as key, open(self.tls.cert_file, "rb") as cert:
                    credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
                port = server.add_secure_port(self.address, credentials)
            else:
                port = server.add_insecure_port(self.address)
        except RuntimeError:  # grpcio >= 1.60 raises where older versions returned port 0
            port = 0
        if not port:
            raise OSError(f"cannot listen for gRPC on {self.address} (address in use or not local?)")
        await server.start()
        self.server, self.port = server, port
        await self.set_health(True)
        if self.alarms is not None:  # (the alarm table is rebuilt: it started before this)
            self.alarms.start_encoding()
        self.startService()

    def add_service(self, name: str, handler: grpc.GenericRpcHandler) -> None:
        """Serve one more service (before start): ``name`` its full name, for reflection."""
        self.more.append((name, handler))

    async def set_health(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        await self._health.set(SERVICE_NAME, status)
        await self._health.set("", status)

    def health_changed(self, serving: bool) -> None:
        """For the journal's on_health: NOT_SERVING while it cannot write, so load balancers and
        monitoring see it (events are held and retried meanwhile)."""
        if self._health is not None:
            asyncio.ensure_future(self.set_health(serving))

    async def stop(self) -> None:
        self.stopService()
        if self.alarms is not None:
            await self.alarms.stop_encoding()
        if self.server is not None:
            await self.server.stop(grace=1.0)

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0]
