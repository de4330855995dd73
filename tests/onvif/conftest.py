"""Fixtures for the ONVIF suite: simulated cameras on loopback."""
from __future__ import annotations

import pytest

from simulators.camera.camera import CameraConfig
from simulators.camera.simulator import CameraSimulator


@pytest.fixture
async def sim():
    simulator = await CameraSimulator.start(
        [CameraConfig(name="cam-1"), CameraConfig(name="cam-2")], discovery_port=0)
    yield simulator
    await simulator.stop()
