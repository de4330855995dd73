"""The gRPC API (``campushub.v1``): EventHubService, health, reflection, and a small client."""
from hub.api.grpc._server import NOT_SERVING, REFLECTION_V1, SERVING, GrpcService, add_to_server
from hub.api.grpc._service import SERVICE_NAME, EventHubService
from hub.api.grpc._streams import StreamOptions, encode_response, stream_batches

__all__ = ["NOT_SERVING", "REFLECTION_V1", "SERVICE_NAME", "SERVING", "EventHubService", "GrpcService",
           "StreamOptions", "add_to_server", "encode_response", "stream_batches"]
