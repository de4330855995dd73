"""The PTZ head of a simulated camera: where it points, its presets, and every move it made.

Moves are instant (GotoPreset answers when the command is accepted, as ONVIF says, and the head is
there at once); each is recorded in :attr:`PtzHead.moves` so tests and scenarios can check what a
client (the hub's linkage) made the camera do. Positions are in the ONVIF generic spaces: pan and
tilt in [-1, 1], zoom in [0, 1].
"""
from __future__ import annotations

import dataclasses

__all__ = ["PtzPosition", "PtzPreset", "PtzMove", "PtzHead", "DEFAULT_PRESETS", "NODE_TOKEN"]

NODE_TOKEN = "ptz_node_1"
MAX_PRESETS = 16


@dataclasses.dataclass(frozen=True)
class PtzPosition:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0


@dataclasses.dataclass(frozen=True)
class PtzPreset:
    token: str
    name: str
    position: PtzPosition


@dataclasses.dataclass(frozen=True)
class PtzMove:
    at: float  # camera clock
    profile: str
    preset: str
    start: PtzPosition
    end: PtzPosition


DEFAULT_PRESETS: tuple[PtzPreset, ...] = (
    PtzPreset("1", "Gate", PtzPosition(-0.5, 0.1, 0.0)),
    PtzPreset("2", "Playground", PtzPosition(0.25, -0.2, 0.3)),
    PtzPreset("3", "Corridor", PtzPosition(0.75, 0.0, 0.6)),
)


class PtzHead:
    def __init__(self, presets: tuple[PtzPreset, ...] = DEFAULT_PRESETS) -> None:
        self.presets: dict[str, PtzPreset] = {preset.token: preset for preset in presets}
        self.position = PtzPosition()
        self.moves: list[PtzMove] = []

    def goto_preset(self, profile: str, token: str, at: float) -> PtzMove:
        """Point at preset ``token`` (KeyError if there is none) and record the move."""
        preset = self.presets[token]
        move = PtzMove(at=at, profile=profile, preset=token, start=self.position, end=preset.position)
        self.position = preset.position
        self.moves.append(move)
        return move
