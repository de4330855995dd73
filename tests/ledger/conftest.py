from __future__ import annotations

import struct
import time
import zlib

import pytest

from hub.access import Scope, Subscriber, hash_token
from hub.api.grpc.client import HubClient
from hub.ledger import LedgerSettings
from tests.kernel.conftest import ALL_TOKEN, SUBSCRIBERS, running_hub
from tests.reports.conftest import report_settings

SCHOOL_TOKEN = "school-supervisor-token"
SCHOOL_SUPERVISOR = Subscriber("sch-a-principal", hash_token(SCHOOL_TOKEN), Scope(school_ids=frozenset({"sch-a"})),
                               "supervisor")


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (written by hand: signature, IHDR, IDAT, IEND with their CRCs)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def ledger_settings(tmp_path, clock=None, **overrides):
    ledger = LedgerSettings(photo_dir=str(tmp_path / "photos"), tick_interval=None,
                            deadlines={("general", "fire"): 3 * 86400.0})
    return report_settings(tmp_path, ledger=ledger, reports_clock=clock, subscribers=[*SUBSCRIBERS, SCHOOL_SUPERVISOR],
                           **overrides)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def ledger_hub(tmp_path, clock):
    async with running_hub(ledger_settings(tmp_path, clock)) as instance:
        yield instance


def client(hub, token=ALL_TOKEN) -> HubClient:
    return HubClient(f"127.0.0.1:{hub.grpc_port}", token)
