"""`campus-hub hash-password` and the console: section of hub.yaml."""
from __future__ import annotations

import subprocess
import sys

from hub import config as hub_config
from hub.console import password_matches
from tests.campus.processes import ROOT


def test_hash_password_prints_an_argon2_hash_of_the_password_from_stdin():
    run = subprocess.run([sys.executable, "-m", "hub.cli", "hash-password", "--stdin"], input="long enough pw\n",
                         capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    encoded = run.stdout.strip()
    assert encoded.startswith("$argon2id$") and password_matches("long enough pw", encoded)
    assert not password_matches("long enough pW", encoded)
    short = subprocess.run([sys.executable, "-m", "hub.cli", "hash-password", "--stdin"], input="short\n",
                           capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert short.returncode == 2 and "at least 8" in short.stderr


def test_a_console_section_with_a_plaintext_password_is_a_problem_at_its_line(tmp_path):
    text = ("hub: {id: test-hub}\nsites: [{school_id: sch-a, region_code: '140802'}]\nconsole:\n"
            "  operators:\n    - id: duty\n      password_hash: hunter2\n      scope: {region_prefixes: ['140802']}\n")
    try:
        hub_config.load_text(text, "hub.yaml", base_dir=tmp_path)
    except hub_config.ConfigError as exc:
        problems = "\n".join(map(str, exc.problems))
    else:
        raise AssertionError("a plaintext password was accepted")
    assert "hub.yaml:6" in problems and "argon2" in problems and "hunter2" not in problems


def test_a_console_section_becomes_the_consoles_settings(tmp_path):
    from hub.cli._console import console_settings
    from hub.console import hash_password

    (tmp_path / "duty.argon2").write_text(hash_password("long enough pw") + "\n")
    text = ("hub: {id: test-hub}\nsites: [{school_id: sch-a, region_code: '140802', name: 盐湖实验小学}]\n"
            "console:\n  address: 127.0.0.1:0\n  time_zone: Asia/Shanghai\n  operators:\n    - id: duty\n"
            "      password_hash: ${file:duty.argon2}\n      role: supervisor\n"
            "      scope: {region_prefixes: ['1408']}\n")
    settings = console_settings(hub_config.load_text(text, "hub.yaml", base_dir=tmp_path))
    (operator,) = settings.operators
    assert (operator.id, operator.role, operator.scope.region_prefixes, operator.desk_level) == (
        "duty", "supervisor", ("1408",), 2)
    assert password_matches("long enough pw", operator.password_hash)
    assert settings.sites == {"sch-a": ("140802", "盐湖实验小学")}
