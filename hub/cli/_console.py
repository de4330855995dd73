"""CLI pieces of the console: ``campus-hub hash-password``, and attaching a configured console to
a hub (``campus-hub run`` and the demo)."""
from __future__ import annotations

import argparse


def register(commands) -> None:
    hashing = commands.add_parser("hash-password", help="print the argon2 hash of an operator's password "
                                  "(for console.operators[].password_hash)")
    hashing.add_argument("--stdin", action="store_true", help="read the password from one line of stdin "
                         "instead of asking twice")
    hashing.set_defaults(handler=_cmd_hash_password)


def _cmd_hash_password(args: argparse.Namespace) -> int:
    from hub.console import run_hash_password
    return run_hash_password(stdin=args.stdin)


def console_settings(config):
    """:class:`hub.console.ConsoleSettings` of a loaded config, or None without a console: section."""
    if config.console is None:
        return None
    return config.console.to_settings({site.school_id: (site.region_code, site.name) for site in config.sites})


def attach_from_config(hub, config):
    """The hub's console (a child service) when the config has one, else None."""
    settings = console_settings(config)
    if settings is None:
        return None
    from hub.console import attach_console
    return attach_console(hub, settings)
