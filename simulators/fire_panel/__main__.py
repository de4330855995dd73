"""``python -m simulators.fire_panel``: the same as ``campus-hub sim fire-panel``, without the hub's CLI."""
import sys

from hub.cli.runtime import run_plugin_command

if __name__ == "__main__":
    sys.exit(run_plugin_command("python -m simulators.fire_panel", "simulators.fire_panel.cli:configure"))
