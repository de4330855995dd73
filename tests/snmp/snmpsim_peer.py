"""Recordings of real devices (PyPI ``snmpsim-data``) served by ``snmpsim-command-responder``.

snmpsim is an SNMP agent we did not write, and its recordings are walks of real switches and UPSes,
with their quirks: sysUpTime that does not advance, dozens of ports down, VLAN and virtual
interfaces, sysDescr with line breaks. One responder serves every recording on one loopback port;
v1/v2c requests pick a recording by community, v3 ones by context name (both: the file name).
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import snmpsim_data

from adapters.snmp import oids
from adapters.snmp.poller import Poller, PollError, Target

DATA = pathlib.Path(snmpsim_data.__file__).parent / "data"
#: recording name -> its file in snmpsim-data
RECORDINGS = {
    "cisco-c3750": "network/switch/cisco-c3750.snmprec.bz2",  # IOS 12.2, BRIDGE-MIB forwarding table
    "h3c-e528-2": "network/switch/h3c-e528-2.snmprec.bz2",  # Comware 5.20, Q-BRIDGE forwarding table
    "huawei-s5720": "network/router/huawei-s5720.snmprec.bz2",  # VRP S5720 switch, BRIDGE-MIB
    "huawei-gse200m": "UPS/huawei-gse200m.snmprec.bz2",  # Huawei UPS5000 behind a GSE200M card, UPS-MIB
}
ENGINE_ID = "8000000001c0ffee01"


@dataclasses.dataclass(frozen=True)
class V3Account:
    name: str
    auth_protocol: str  # as the adapter's options spell it
    auth_key: str
    priv_protocol: str
    priv_key: str

    def snmpsim_args(self) -> list[str]:
        return [f"--v3-user={self.name}", f"--v3-auth-key={self.auth_key}",
                f"--v3-auth-proto={self.auth_protocol.upper()}", f"--v3-priv-key={self.priv_key}",
                f"--v3-priv-proto={self.priv_protocol.upper()}"]

    def options(self) -> dict:
        return {"name": self.name, "auth_protocol": self.auth_protocol, "auth_key": self.auth_key,
                "priv_protocol": self.priv_protocol, "priv_key": self.priv_key}


V3_ACCOUNTS = (
    V3Account("sha-aes", "sha", "authpass123", "aes", "privpass123"),
    V3Account("sha256-aes256", "sha256", "authpass456", "aes256", "privpass456"),
)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def responder_command() -> str:
    """snmpsim's responder, installed beside this interpreter by the ``test`` extra."""
    found = pathlib.Path(sys.executable).parent / "snmpsim-command-responder"
    return str(found) if found.exists() else (shutil.which("snmpsim-command-responder") or str(found))


@dataclasses.dataclass
class Snmpsim:
    process: subprocess.Popen
    port: int
    log: pathlib.Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def _answers(port: int, poller: Poller) -> bool:
    target = await Target.create("127.0.0.1", port, version="v2c", community="huawei-gse200m", timeout=0.5, retries=0)
    try:
        await poller.get(target, [oids.SYS_UPTIME])
        return True
    except PollError:
        return False


async def start_snmpsim(workdir: pathlib.Path, *, timeout: float = 90.0) -> Snmpsim:
    """Start the responder on a free loopback port with the recordings and both v3 accounts;
    returns once it answers (the first start indexes the recordings, ~10 s)."""
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, path in RECORDINGS.items():
        shutil.copyfile(DATA / path, data / f"{name}.snmprec.bz2")
    port = _free_udp_port()
    log = workdir / "snmpsim.log"
    argv = [responder_command(), f"--cache-dir={workdir / 'cache'}", f"--v3-engine-id={ENGINE_ID}",
            f"--data-dir={data}", *[arg for account in V3_ACCOUNTS for arg in account.snmpsim_args()],
            f"--agent-udpv4-endpoint=127.0.0.1:{port}"]
    # snmpsim refuses to run as root unless told it may (CI and these machines run as root)
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
    sim = Snmpsim(process, port, log)
    poller = await Poller.create(lambda fn, *a: asyncio.get_running_loop().run_in_executor(None, fn, *a))
    try:
        deadline = time.monotonic() + timeout
        while not await _answers(port, poller):
            if process.poll() is not None or time.monotonic() > deadline:
                sim.stop()
                raise RuntimeError(f"snmpsim did not come up (exit {process.returncode}): {log.read_text()[-2000:]}")
            await asyncio.sleep(0.2)
    finally:
        with contextlib.suppress(Exception):
            poller.close()
    return sim
