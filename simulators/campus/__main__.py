"""``python -m simulators.campus``: the same as ``campus-hub simulate``, without the hub's CLI."""
import sys

from hub.cli.runtime import run_plugin_command

if __name__ == "__main__":
    sys.exit(run_plugin_command("python -m simulators.campus", "simulators.campus.cli:configure"))
