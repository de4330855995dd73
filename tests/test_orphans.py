"""tests.orphans: a hub started by a test dies when the test process is killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

STARTER = """
import subprocess, sys, time
from tests.orphans import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True,
                         preexec_fn=die_with_parent)
print(child.pid, flush=True)
time.sleep(120)
"""


def test_a_child_in_its_own_session_dies_when_its_starter_is_killed():
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(__file__)))
    child = int(starter.stdout.readline())
    try:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        for _ in range(100):
            if not _alive(child):
                break
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie waits for init to reap it
    except FileNotFoundError:
        return False
