"""Many simulated ONVIF cameras in one process: the simulator's library API.

    sim = await CameraSimulator.start([CameraConfig(name="cam-1")], discovery_port=0)
    sim["cam-1"].camera.trigger("motion", True)
    await sim.stop()

Every camera gets its own HTTP port (device service at ``/onvif/device_service``), as real cameras
have their own address. One UDP socket answers WS-Discovery probes for all of them.
"""
from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Iterable

from twisted.internet import defer, protocol

from adapters.onvif import discovery
from adapters.onvif.soap import SoapError
from simulators.camera.camera import CameraConfig, SimulatedCamera
from simulators.camera.server import CameraResource, make_site

__all__ = ["CameraSimulator", "RunningCamera", "numbered_cameras"]


def _reactor():
    from twisted.internet import reactor

    return reactor


@dataclasses.dataclass
class RunningCamera:
    camera: SimulatedCamera
    resource: CameraResource
    port: object  # IListeningPort
    host: str
    http_port: int  # kept: requests still in flight at stop must not ask the closed port

    @property
    def name(self) -> str:
        return self.camera.config.name

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def device_url(self) -> str:
        return f"{self.base_url}/onvif/device_service"


def numbered_cameras(count: int, *, prefix: str = "cam", **overrides) -> list[CameraConfig]:
    """``count`` camera configs named cam-1, cam-2, ... sharing ``overrides``."""
    return [CameraConfig(name=f"{prefix}-{i}", serial=f"SIM{i:06d}", **overrides) for i in range(1, count + 1)]


class _DiscoveryResponder(protocol.DatagramProtocol):
    """Answers WS-Discovery Probes for NetworkVideoTransmitters with one ProbeMatch per camera."""

    def __init__(self, simulator: CameraSimulator) -> None:
        self._simulator = simulator

    def datagramReceived(self, data: bytes, addr) -> None:
        try:
            message_id, types = discovery.parse_probe(data)
        except SoapError as exc:
            self._simulator.echo(f"discovery: ignored a bad probe from {addr[0]}:{addr[1]}: {exc}")
            return
        if types and not any(t.endswith("NetworkVideoTransmitter") for t in types):
            return
        for running in self._simulator.cameras:
            if running.camera.silent or running.camera.link_cut or running.camera.is_down():
                continue
            match = discovery.ProbeMatch(
                endpoint=running.camera.endpoint,
                types=(discovery.NVT_TYPE,),
                scopes=tuple(uri for _, uri in running.camera.scopes),
                xaddrs=(running.device_url,),
            )
            reply = discovery.build_probe_matches(f"urn:uuid:{uuid.uuid4()}", message_id, [match])
            self.transport.write(reply, addr)
        self._simulator.echo(f"discovery: answered a probe from {addr[0]}:{addr[1]}")


class CameraSimulator:
    def __init__(self, host: str, echo: Callable[[str], None]) -> None:
        self.host = host
        self.echo = echo
        self.cameras: list[RunningCamera] = []
        self.discovery_port = None

    @classmethod
    async def start(
        cls,
        cameras: Iterable[CameraConfig] | int = 1,
        *,
        host: str = "127.0.0.1",
        base_port: int = 0,
        discovery_port: int | None = None,
        multicast: bool = False,
        rtsp_host: str | None = None,
        echo: Callable[[str], None] = lambda line: None,
    ) -> CameraSimulator:
        """Listen for every camera (``base_port`` 0: ephemeral ports; else consecutive ones) and,
        when ``discovery_port`` is not None, for WS-Discovery probes (joining the multicast group
        too if ``multicast``)."""
        reactor = _reactor()
        configs = numbered_cameras(cameras) if isinstance(cameras, int) else list(cameras)
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ValueError("camera names must be unique")
        sim = cls(host, echo)
        try:
            for index, config in enumerate(configs):
                camera = SimulatedCamera(config, reactor)
                holder: dict[str, RunningCamera] = {}
                resource = CameraResource(
                    camera, base_url=lambda h=holder: h["running"].base_url, host=host,
                    rtsp_host=rtsp_host or host, echo=echo)
                port = reactor.listenTCP(base_port + index if base_port else 0, make_site(resource), interface=host)
                holder["running"] = running = RunningCamera(camera, resource, port, host, port.getHost().port)
                sim.cameras.append(running)
                echo(f"{config.name}: ONVIF device service at {running.device_url} (user {config.username}, "
                     f"snapshot auth {config.snapshot_auth})")
            if discovery_port is not None:
                responder = _DiscoveryResponder(sim)
                if multicast:
                    sim.discovery_port = reactor.listenMulticast(discovery_port, responder, listenMultiple=True)
                    joined = sim.discovery_port.joinGroup(discovery.MULTICAST_GROUP)
                    await joined.asFuture(asyncio.get_running_loop())
                else:
                    sim.discovery_port = reactor.listenUDP(discovery_port, responder, interface=host)
                echo(f"WS-Discovery answering on udp {host}:{sim.discovery_port.getHost().port}"
                     + (f" and multicast {discovery.MULTICAST_GROUP}" if multicast else ""))
        except BaseException:
            await sim.stop()
            raise
        return sim

    def __getitem__(self, name: str) -> RunningCamera:
        for running in self.cameras:
            if running.name == name:
                return running
        raise KeyError(f"no simulated camera {name!r}")

    def select(self, name: str) -> list[RunningCamera]:
        """Cameras matching ``name`` (``*`` for all)."""
        return list(self.cameras) if name in ("*", "all") else [self[name]]

    async def stop(self) -> None:
        waits = []
        for running in self.cameras:
            running.resource.abort_pending()
            for sub in running.camera.subscriptions.values():
                if sub.waiter is not None:
                    sub.waiter.cancel()
            if getattr(running.port, "connected", True):  # a test may have stopped it already
                waits.append(defer.maybeDeferred(running.port.stopListening))
        if self.discovery_port is not None:
            waits.append(defer.maybeDeferred(self.discovery_port.stopListening))
        if waits:
            await defer.gatherResults(waits, consumeErrors=True).asFuture(asyncio.get_running_loop())
        self.cameras = []
