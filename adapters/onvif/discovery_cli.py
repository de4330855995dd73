"""``campus-hub discover onvif``: find ONVIF cameras with WS-Discovery and print config snippets.

Probes go unicast to the given addresses (UDP 3702 unless ``host:port`` says otherwise); the
multicast probe to 239.255.255.250:3702 is only sent with ``--multicast``.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import urllib.parse
import uuid

import yaml
from twisted.internet import protocol

from adapters.onvif import discovery
from adapters.onvif.soap import SoapError

__all__ = ["configure", "main", "probe", "device_snippets"]


class _Collector(protocol.DatagramProtocol):
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.matches: dict[str, discovery.ProbeMatch] = {}
        self.ignored = 0

    def datagramReceived(self, data: bytes, addr) -> None:
        try:
            relates_to, matches = discovery.parse_probe_matches(data)
        except SoapError:
            self.ignored += 1
            return
        if relates_to != self.message_id:
            self.ignored += 1
            return
        for match in matches:
            self.matches.setdefault(match.endpoint or ",".join(match.xaddrs), match)


def _target(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if sep and port.isascii() and port.isdigit() and (not host.count(":") or host.startswith("[")):
        return host.strip("[]"), int(port)
    return text.strip("[]"), discovery.PORT


async def probe(addresses: list[str], *, multicast: bool = False, timeout: float = 3.0) -> list[discovery.ProbeMatch]:
    """Send Probes (unicast to ``addresses``, multicast if asked) and collect ProbeMatches."""
    from twisted.internet import reactor

    message_id = f"urn:uuid:{uuid.uuid4()}"
    collector = _Collector(message_id)
    port = reactor.listenUDP(0, collector)
    try:
        payload = discovery.build_probe(message_id)
        for address in addresses:
            port.write(payload, _target(address))
        if multicast:
            port.write(payload, (discovery.MULTICAST_GROUP, discovery.PORT))
        await asyncio.sleep(timeout)
    finally:
        await _stop(port)
    return list(collector.matches.values())


async def _stop(port) -> None:
    from twisted.internet import defer

    await defer.maybeDeferred(port.stopListening).asFuture(asyncio.get_running_loop())


def _device_id(match: discovery.ProbeMatch, index: int) -> str:
    name = match.scope("name") or match.scope("hardware") or f"camera-{index}"
    return re.sub(r"[^a-z0-9]+", "-", urllib.parse.unquote(name).lower()).strip("-") or f"camera-{index}"


def device_snippets(matches: list[discovery.ProbeMatch], *, adapter: str, school_id: str) -> dict:
    """The ``devices:`` entries for ``matches`` (password left to an environment variable)."""
    devices = []
    for index, match in enumerate(matches, 1):
        if not match.xaddrs:
            continue
        try:
            url = urllib.parse.urlsplit(match.xaddrs[0])
            url.port  # noqa: B018 - raises for a port that is no number or out of range
        except ValueError:  # e.g. a stray bracket, read as a broken IPv6 address
            continue  # a camera's answer, not ours to repair: no snippet we could stand behind
        devices.append({
            "id": _device_id(match, index),
            "name": urllib.parse.unquote(match.scope("name")) or match.endpoint,
            "kind": "camera",
            "adapter": adapter,
            "site": {"school_id": school_id},
            "options": {
                "host": url.hostname or "",
                "port": url.port or (443 if url.scheme == "https" else 80),
                "path": url.path or "/onvif/device_service",
                "username": "admin",
                "password_env": "ONVIF_PASSWORD",
            },
        })
    return {"devices": devices}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Find ONVIF cameras with WS-Discovery probes and print devices: config snippets."
    parser.add_argument("addresses", nargs="*", help="camera addresses to probe unicast (host or host:port, port 3702 default)")
    parser.add_argument("--multicast", action="store_true",
                        help=f"also send a multicast probe to {discovery.MULTICAST_GROUP}:{discovery.PORT}")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for answers (default 3)")
    parser.add_argument("--adapter", default="onvif-main", help="adapter instance name for the snippets")
    parser.add_argument("--school-id", default="CHANGE-ME", help="site school_id for the snippets")
    parser.set_defaults(main=main)


async def main(args: argparse.Namespace) -> int:
    if not args.addresses and not args.multicast:
        print("give camera addresses to probe, or --multicast to ask the whole segment", file=sys.stderr)
        return 2
    matches = await probe(args.addresses, multicast=args.multicast, timeout=args.timeout)
    print(f"# {len(matches)} ONVIF device(s) answered", flush=True)
    if matches:
        print(yaml.safe_dump(device_snippets(matches, adapter=args.adapter, school_id=args.school_id),
                             sort_keys=False, allow_unicode=True), end="", flush=True)
    return 0 if matches else 1
