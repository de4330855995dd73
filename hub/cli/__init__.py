"""The ``campus-hub`` command line, and the process runner every command and simulator shares.

Public modules: ``hub.cli.runtime`` (the reactor runner, ``serve`` a hub from a config, plugin
commands), ``hub.cli.logs`` (structlog set-up), ``hub.cli.render`` (events and tables for a
terminal).
"""
from hub.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
