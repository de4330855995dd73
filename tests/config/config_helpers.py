"""Building config texts and collecting their problems in tests."""
from __future__ import annotations

import textwrap

import hub.config
from hub.config import ConfigError, Problem

GOOD_HASH = "a" * 64

#: The hub section every config snippet starts with: hub.id is required (see HubSection).
HUB = "hub: {id: test-hub}\n"

#: A valid config; snippets in tests append to it or replace parts of it (its first line is
#: HUB: a test about the hub section replaces that line).
BASE = HUB + textwrap.dedent(f"""\
    sites:
      - school_id: sch-1
        region_code: "140802"
      - school_id: sch-2
        region_code: "140821"
    adapters:
      - name: alpha-main
        type: alpha
        options: {{port: 7000}}
    devices:
      - id: panel-1
        kind: alarm_panel
        adapter: alpha-main
        site: {{school_id: sch-1}}
        options: {{account: "1234"}}
    subscribers:
      - id: police
        token_sha256: "{GOOD_HASH}"
        scope: {{region_prefixes: ["140802"]}}
    """)


def problems_of(text: str, *, env: dict[str, str] | None = None, base_dir=None) -> list[Problem]:
    try:
        hub.config.load_text(text, "hub.yaml", env=env or {}, base_dir=base_dir)
    except ConfigError as exc:
        return exc.problems
    return []
