"""The hub's HTTP listener (twisted.web): Prometheus metrics at /metrics."""
from hub.api.http._listener import HttpService

__all__ = ["HttpService"]
