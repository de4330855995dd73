"""Static assets of the web console (hub.console serves them): the console's own script and
style, and front-end libraries vendored from npm with their licenses (static/vendor/README.md)."""
import pathlib

STATIC = pathlib.Path(__file__).resolve().parent / "static"

__all__ = ["STATIC"]
