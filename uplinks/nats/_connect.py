"""Connecting to NATS with the uplink's TLS and credentials."""
from __future__ import annotations

import asyncio
import ssl

import nats

from uplinks.nats._options import NatsOptions

__all__ = ["connect"]


def tls_context(options: NatsOptions) -> ssl.SSLContext | None:
    if options.tls is None:
        return None
    context = ssl.create_default_context(cafile=str(options.tls.ca_file))
    if options.tls.cert_file is not None:
        context.load_cert_chain(str(options.tls.cert_file), str(options.tls.key_file))
    return context


async def connect(options: NatsOptions, name: str, log) -> nats.NATS:
    """A connection that reconnects by itself for ever (the journal buffers meanwhile)."""
    async def error(exc: Exception) -> None:
        log.warning("NATS connection error", error=f"{type(exc).__name__}: {exc}")

    async def disconnected() -> None:
        if not connection.is_closed:  # (also called when the uplink closes it)
            log.warning("NATS disconnected; reconnecting")

    async def reconnected() -> None:
        log.info("NATS reconnected")

    credentials = {}
    if options.user is not None:
        credentials = {"user": options.user, "password": options.password.get_secret_value()}
    elif options.creds_file is not None:
        credentials = {"user_credentials": str(options.creds_file)}
    elif options.nkey_seed_file is not None:
        credentials = {"nkeys_seed": str(options.nkey_seed_file)}
    connection = nats.NATS()
    connecting = connection.connect(
        servers=options.servers, name=name, connect_timeout=options.connect_timeout, allow_reconnect=True,
        max_reconnect_attempts=-1, reconnect_time_wait=0.5, tls=tls_context(options),
        error_cb=error, disconnected_cb=disconnected, reconnected_cb=reconnected, **credentials)
    # nats-py retries a first connection for ever too; a server that never answers (or refuses
    # the credentials) is an error here, and the supervisor retries with its backoff.
    limit = options.connect_timeout * 3
    try:
        async with asyncio.timeout(limit):  # (not wait_for: it can swallow a stop, gh-86296)
            await connecting
    except TimeoutError:
        await _close_quietly(connection)
        raise ConnectionError(f"no NATS server of {', '.join(options.servers)} completed a connection within "
                              f"{limit:g} s (not answering, TLS or credentials refused); the journal keeps the "
                              "events") from None
    return connection


async def _close_quietly(connection) -> None:
    try:
        async with asyncio.timeout(1.0):  # (not wait_for: it can swallow a stop, gh-86296)
            await connection.close()
    except Exception:  # it never connected: nothing to flush
        pass
