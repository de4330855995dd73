"""The hub's network APIs: ``hub.api.grpc`` (subscriptions, devices) and ``hub.api.http``
(Prometheus metrics)."""

__all__: list[str] = []
