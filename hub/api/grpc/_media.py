"""MediaService: the media store's pictures for callers whose scope covers the camera."""
from __future__ import annotations

import grpc

from campushub.v1 import media_service_pb2 as pb
from hub.events import set_timestamp

__all__ = ["MediaApi", "SERVICE_NAME"]

SERVICE_NAME = "campushub.v1.MediaService"
#: How long a GetMedia answer's signed HTTP path stays valid, seconds.
SIGNED_PATH_LIFETIME = 600.0


class MediaApi:
    def __init__(self, events, store, run_blocking) -> None:
        self.events, self.store, self.run_blocking = events, store, run_blocking

    async def GetMedia(self, request: pb.GetMediaRequest, context) -> pb.GetMediaResponse:
        subscriber = await self.events.caller(context)
        selection = await self.events.selection(subscriber, None, context)
        sha = request.sha256.removeprefix("media:")
        found = await self.run_blocking(self.store.get, sha)
        if found is not None:
            item, data = found
            site = item.site
            if selection.place_matcher()(site.get("region_code", ""), site.get("school_id", ""), item.device_id):
                response = pb.GetMediaResponse(sha256=item.sha256, mime_type=item.mime_type, data=data,
                                               device_id=item.device_id,
                                               signed_path=self.store.signed_path(item.sha256, SIGNED_PATH_LIFETIME))
                for name in ("region_code", "school_id", "building", "floor", "zone"):
                    setattr(response.site, name, site.get(name, ""))
                set_timestamp(response.taken_at, item.taken_at)
                return response
        # Outside the caller's scope reads exactly like absent: no probing for what exists.
        await context.abort(grpc.StatusCode.NOT_FOUND, f"no media {sha[:64]!r}")

    def handlers(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(SERVICE_NAME, {
            "GetMedia": grpc.unary_unary_rpc_method_handler(
                self.GetMedia, request_deserializer=pb.GetMediaRequest.FromString,
                response_serializer=pb.GetMediaResponse.SerializeToString)})
