"""Uplinks: plugins that link this hub to the hubs above and below it (entry points
``campushub.uplinks``). ``uplinks.nats`` federates over NATS JetStream."""
__all__: list[str] = []
