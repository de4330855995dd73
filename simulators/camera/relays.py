"""The relay outputs of a simulated camera (a strobe, a siren) and every change made to them.

ONVIF device management ``GetRelayOutputs`` lists them, ``SetRelayOutputState`` switches one
(``active`` / ``inactive``); each switch is recorded in :attr:`RelayBank.changes` so tests and
vendors can check what a client (the hub's linkage) did, and :attr:`RelayBank.states` says what
each output is now.
"""
from __future__ import annotations

import dataclasses

__all__ = ["RelayChange", "RelayBank", "DEFAULT_RELAYS"]

DEFAULT_RELAYS = ("relay1", "relay2")


@dataclasses.dataclass(frozen=True)
class RelayChange:
    at: float  # camera clock
    relay: str
    active: bool


class RelayBank:
    def __init__(self, tokens: tuple[str, ...] = DEFAULT_RELAYS) -> None:
        self.states: dict[str, bool] = dict.fromkeys(tokens, False)
        self.changes: list[RelayChange] = []

    def set(self, token: str, active: bool, at: float) -> RelayChange:
        """Switch output ``token`` (KeyError if there is none) and record it."""
        if token not in self.states:
            raise KeyError(token)
        self.states[token] = active
        change = RelayChange(at, token, active)
        self.changes.append(change)
        return change
