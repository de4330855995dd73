"""The gRPC API (``campushub.v1``): EventHubService, AlarmService, health, reflection, and a small client."""
from hub.api.grpc._alarms import AlarmApi, alarm_message
from hub.api.grpc._server import NOT_SERVING, REFLECTION_V1, SERVING, GrpcService, add_to_server
from hub.api.grpc._service import SERVICE_NAME, EventHubService
from hub.api.grpc._streams import StreamOptions, encode_response, stream_batches

__all__ = ["AlarmApi", "NOT_SERVING", "REFLECTION_V1", "SERVICE_NAME", "SERVING", "EventHubService", "GrpcService",
           "StreamOptions", "add_to_server", "alarm_message", "encode_response", "stream_batches"]
