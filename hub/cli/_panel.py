"""`campus-hub panel reset|silence|acknowledge DEVICE`: an operator's fire-panel command
(DeviceCommandService, supervisor role), journaled with who gave it and why; its audit record
says it came from the CLI and the login name that ran it."""
from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["add_commands"]

PANEL_COMMANDS = ("reset", "silence", "acknowledge")


def add_commands(commands, client_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    panel = commands.add_parser("panel", help="send a fire panel a command of its profile (supervisors)")
    panel.add_argument("command", choices=PANEL_COMMANDS)
    panel.add_argument("device", metavar="DEVICE_ID")
    panel.add_argument("--comment", default="", help="why, for the record (journaled with the command)")
    client_arguments(panel)
    panel.set_defaults(handler=cmd_panel)


def login_name() -> str:
    import getpass
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's numeric uid)
        return ""


def cmd_panel(args) -> int:
    from hub.api.grpc.client import HubClient
    from hub.cli._main import _need_token, _run_client

    token = _need_token(args)
    if token is None:
        return 2

    async def send() -> int:
        async with HubClient(args.target, token, ca_file=args.ca) as client:
            sequence = await client.run_panel_command(args.device, args.command, args.comment, cli_user=login_name())
        print(f"{args.device}: {args.command} done (journal sequence {sequence})")
        return 0
    return _run_client(send(), args.target)
