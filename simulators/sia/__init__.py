"""SIA DC-09 transmitter simulator: behaves like an alarm panel or a one-button alarm box."""
from simulators.sia.transmitter import Delivery, SiaTransmitter

__all__ = ["Delivery", "SiaTransmitter"]
