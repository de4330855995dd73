"""Every kind of config mistake is reported at the right file:line with a message that says
what is wrong and what is expected. The line of each expected problem is marked ``#<`` in the
snippet."""
from __future__ import annotations

import textwrap

import pytest

from config_helpers import BASE, GOOD_HASH, HUB, problems_of

SITE = HUB + 'sites: [{school_id: sch-1, region_code: "140802"}]\n'
ADAPTER = "adapters: [{name: alpha-main, type: alpha}]\n"
DEVICE_HEAD = SITE + ADAPTER + "devices:\n  - id: d1\n    kind: panel\n    adapter: alpha-main\n"

CASES = [
    # --- YAML itself
    ("syntax", "sites: [\n  {school_id: a,\n#<\n", "", "YAML syntax error"),
    ("bad-indent", "hub:\n  id: x\n name: y #<\n", "", "YAML syntax error"),
    ("tab-indent", "hub:\n\tid: x #<\n", "", "expected spaces for indentation (YAML does not allow tabs)"),
    ("control-character", "hub: {name: \"a\"}\n# \x07 #<\n", "", "control character U+0007 is not allowed"),
    ("duplicate-key", "hub:\n  id: a\n  id: b #<\n", "hub.id", "duplicate key 'id' (first given on line 2)"),
    ("empty-file", "#<\n", "", "the file is empty"),
    ("tag", "hub: {id: !!binary aGk=} #<\n", "hub.id", "unsupported YAML tag"),
    ("top-level-list", "- a #<\n- b\n", "", "not a mapping; expected a mapping with keys: hub, journal"),
    ("recursive-alias", HUB + "sites: &s [*s] #<\n", "sites[0]", "alias refers to a node that contains it"),
    # --- unknown keys
    ("unknown-section", "hub: {id: test-hub}\ndevice: [] #<\n", "device", "unknown key 'device' (did you mean 'devices'?)"),
    ("unknown-key-nested", HUB + "journal:\n  max_agee: 3d #<\n", "journal.max_agee", "expected one of: path, durability"),
    # --- the hub's identity
    ("hub-absent", "sites: [] #<\n", "hub", "required key 'id' is missing; expected id: Unique id of this hub"),
    ("hub-id-missing", "hub: {name: Yanhu} #<\n", "hub", "federation stamps it as the origin"),
    ("hub-id-pattern", "hub:\n  id: Yanhu_County #<\n", "hub.id", "'Yanhu_County' is not a valid hub id; expected 1-64 lowercase"),
    ("hub-id-too-long", f"hub: {{id: {'a' * 65}}} #<\n", "hub.id", "is not a valid hub id"),
    ("hub-id-edge-dash", "hub: {id: -yanhu} #<\n", "hub.id", "starting and ending with a letter or digit"),
    # --- scalar fields
    ("durability", HUB + "journal:\n  durability: fsync #<\n", "journal.durability", "invalid value 'fsync'; expected one of 'full', 'normal' or 'off'"),
    ("duration", HUB + "journal:\n  max_age: 3 days #<\n", "journal.max_age", 'not a duration; expected a duration like "500ms"'),
    ("negative-duration", HUB + "pipeline: {dedupe_window: -5} #<\n", "pipeline.dedupe_window", "duration must be zero or more"),
    ("size", HUB + "journal:\n  max_bytes: 2 gigs #<\n", "journal.max_bytes", "is not a size"),
    ("commit-range", HUB + "journal:\n  max_events_per_commit: 0 #<\n", "journal.max_events_per_commit", "invalid value 0; expected greater than or equal to 1"),
    ("int-type", HUB + "journal:\n  tail_cache_events: lots #<\n", "journal.tail_cache_events", "invalid value 'lots'; expected a valid integer"),
    ("ipv6-brackets", HUB + "listeners:\n  grpc: {address: '::1:50051'} #<\n", "listeners.grpc.address", "needs brackets; expected [::1]:50051"),
    ("port-range", HUB + "listeners:\n  metrics:\n    address: 0.0.0.0:70000 #<\n", "listeners.metrics.address", "port '70000' is not a number from 0 to 65535"),
    ("tls-files", HUB + f"listeners:\n  grpc:\n    tls:\n      cert_file: /nonexistent/hub.pem #<\n      key_file: {__file__}\n",
     "listeners.grpc.tls.cert_file", "does not exist; expected a readable PEM file"),
    ("tls-missing-key", HUB + f"listeners:\n  grpc:\n    tls: {{key_file: {__file__}}} #<\n", "listeners.grpc.tls", "required key 'cert_file' is missing"),
    ("log-level", HUB + "logging: {level: verbose} #<\n", "logging.level", "expected one of 'debug', 'info', 'warning' or 'error'"),
    ("yaml12-no-yes-bool", SITE + "subscribers:\n  - id: p\n    token_sha256: " + GOOD_HASH + "\n    scope: {all_regions: yes} #<\n",
     "subscribers[0].scope.all_regions", "invalid value 'yes'; expected true or false"),
    # --- sites
    ("region-province", HUB + 'sites:\n  - school_id: s\n    region_code: "190802" #<\n', "sites[0].region_code", "province '19' in '190802' does not exist"),
    ("region-length", HUB + "sites:\n  - school_id: s\n    region_code: 14080 #<\n", "sites[0].region_code", "'14080' is not six digits"),
    ("region-prefecture", HUB + 'sites:\n  - {school_id: s, region_code: "148502"} #<\n', "sites[0].region_code", "prefecture '85'"),
    ("site-missing-region", HUB + "sites:\n  - school_id: s #<\n", "sites[0]", "required key 'region_code' is missing; expected region_code: GB/T 2260"),
    ("duplicate-school", HUB + 'sites:\n  - {school_id: s1, region_code: "140802"}\n  - {school_id: s1, region_code: "140821"} #<\n',
     "sites[1].school_id", "school_id 's1' is already used by sites[0] on line 3; expected a school_id that no other entry under sites: uses"),
    ("sites-not-list", HUB + "sites: #<\n  school_id: s\n", "sites", "is a mapping, not a list"),
    ("site-id-space", HUB + 'sites:\n  - {school_id: "sch 1", region_code: "140802"} #<\n', "sites[0].school_id", "'sch 1' is not a usable id"),
    # --- adapters
    ("adapter-name", HUB + "adapters:\n  - name: Alpha Main #<\n    type: alpha\n", "adapters[0].name", "'Alpha Main' is not a valid adapter name"),
    ("adapter-duplicate", HUB + "adapters:\n  - {name: a, type: alpha}\n  - {name: a, type: alpha} #<\n", "adapters[1].name", "adapter name 'a' is already used by adapters[0] on line 3"),
    ("adapter-unknown-type", HUB + "adapters:\n  - name: a\n    type: modbuss #<\n", "adapters[0].type", "unknown adapter type 'modbuss'; expected one of the installed types: alpha,"),
    ("adapter-options-type", HUB + "adapters:\n  - name: a\n    type: alpha\n    options:\n      port: http #<\n", "adapters[0].options.port", "invalid value 'http'; expected a valid integer"),
    ("adapter-options-unknown", HUB + "adapters:\n  - name: a\n    type: alpha\n    options: {prot: 1} #<\n", "adapters[0].options.prot", "unknown key 'prot' (did you mean 'port'?); expected one of: port, password"),
    ("adapter-options-not-mapping", HUB + "adapters:\n  - name: a\n    type: alpha\n    options: [1] #<\n", "adapters[0].options", "is not a mapping"),
    # --- devices
    ("device-unknown-school", DEVICE_HEAD + "    options: {account: '1'}\n    site: {school_id: sch-9} #<\n", "devices[0].site.school_id",
     "unknown school 'sch-9'; expected one of the school_ids under sites: sch-1"),
    ("device-unknown-adapter", SITE + ADAPTER + "devices:\n  - id: d1\n    kind: panel\n    adapter: alpha #<\n    site: {school_id: sch-1}\n    options: {account: '1'}\n",
     "devices[0].adapter", "unknown adapter 'alpha'; expected one of the names under adapters: alpha-main"),
    ("device-missing-site", DEVICE_HEAD.replace("  - id: d1\n", "  - id: d1 #<\n") + "    options: {account: '1'}\n", "devices[0]", "required key 'site' is missing"),
    ("device-options-missing", DEVICE_HEAD + "    site: {school_id: sch-1}\n    options: {poll_interval: 2} #<\n", "devices[0].options",
     "required key 'account' is missing; expected account: Account number of the panel."),
    ("device-options-range", DEVICE_HEAD + "    site: {school_id: sch-1}\n    options:\n      account: '1'\n      poll_interval: 0 #<\n",
     "devices[0].options.poll_interval", "invalid value 0; expected greater than 0"),
    ("device-item-scalar", SITE + "devices:\n  - just-a-name #<\n", "devices[0]", "is 'just-a-name', not a mapping; expected a mapping with keys: id, name, kind"),
    ("upstream-unknown", DEVICE_HEAD + "    site: {school_id: sch-1}\n    options: {account: '1'}\n    upstream: {device: sw-9, port: 3} #<\n",
     "devices[0].upstream.device", "unknown device 'sw-9'"),
    ("upstream-self", DEVICE_HEAD + "    site: {school_id: sch-1}\n    options: {account: '1'}\n    upstream: {device: d1, port: 3} #<\n",
     "devices[0].upstream.device", "cannot hang off itself"),
    ("upstream-port", DEVICE_HEAD + "    site: {school_id: sch-1}\n    options: {account: '1'}\n    upstream:\n      device: sw\n      port: 0 #<\n"
     "  - {id: sw, kind: switch, adapter: alpha-main, site: {school_id: sch-1}, options: {account: '2'}}\n",
     "devices[0].upstream.port", "greater than or equal to 1"),
    # --- subscribers
    ("token-not-hex", SITE + "subscribers:\n  - id: p\n    token_sha256: my-secret-token #<\n    scope: {all_regions: true}\n",
     "subscribers[0].token_sha256", "is not a sha256 hex digest (the value has 15 characters)"),
    ("token-uppercase", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH.upper()} #<\n    scope: {{all_regions: true}}\n",
     "subscribers[0].token_sha256", "uppercase hex digits"),
    ("scope-sees-nothing", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH}\n    scope: #<\n      categories: [fire]\n",
     "subscribers[0].scope", "this scope would see nothing"),
    ("scope-all-and-list", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH}\n    scope:\n      school_ids: [sch-1]\n      all_regions: true #<\n",
     "subscribers[0].scope.all_regions", "cannot be combined"),
    ("scope-prefix", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH}\n    scope:\n      region_prefixes: ['140'] #<\n",
     "subscribers[0].scope.region_prefixes[0]", "'140' is not 2, 4 or 6 digits"),
    ("scope-category", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH}\n    scope:\n      all_regions: true\n      categories: [fire, burglary] #<\n",
     "subscribers[0].scope.categories[1]", "unknown category 'burglary'; expected one of: fire, intrusion"),
    ("scope-unknown-school", SITE + f"subscribers:\n  - id: p\n    token_sha256: {GOOD_HASH}\n    scope:\n      school_ids: [sch-1, sch-3] #<\n",
     "subscribers[0].scope.school_ids[1]", "unknown school 'sch-3'"),
    ("subscriber-duplicate", SITE + f"subscribers:\n  - {{id: p, token_sha256: {GOOD_HASH}, scope: {{all_regions: true}}}}\n  - {{id: p, token_sha256: {GOOD_HASH}, scope: {{all_regions: true}}}} #<\n",
     "subscribers[1].id", "subscriber id 'p' is already used by subscribers[0] on line 4; expected a subscriber id that no other entry under subscribers: uses"),
    ("subscriber-missing-token", SITE + "subscribers:\n  - id: p #<\n    scope: {all_regions: true}\n", "subscribers[0]", "required key 'token_sha256' is missing"),
    # --- references
    ("env-missing", "hub:\n  id: test-hub\n  name: ${HUB_NAME} #<\n", "hub.name", "environment variable HUB_NAME is not set (for ${HUB_NAME})"),
    ("file-missing", "hub:\n  id: test-hub\n  name: ${file:/nonexistent/name.txt} #<\n", "hub.name", "cannot read /nonexistent/name.txt (for ${file:/nonexistent/name.txt}): No such file"),
    ("reference-unclosed", "hub:\n  id: test-hub\n  name: ${HUB_NAME #<\n", "hub.name", "'${' without a closing '}'"),
    ("reference-bad-name", "hub:\n  id: test-hub\n  name: ${1BAD} #<\n", "hub.name", "'${1BAD}' is not a valid reference"),
]


@pytest.mark.parametrize(("text", "path", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_problem_is_reported_at_its_line(text: str, path: str, expected: str) -> None:
    line = next(number for number, content in enumerate(text.splitlines(), 1) if "#<" in content)
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.path) == ("hub.yaml", line, path), str(problem)
    assert expected in str(problem)
    assert str(problem).startswith(f"hub.yaml:{line}:{problem.column}: ")


def test_problem_reads_file_line_column_path_message_expected() -> None:
    text = BASE.replace("site: {school_id: sch-1}", "site: {school_id: sch-9}")
    [problem] = problems_of(text)
    assert str(problem) == ("hub.yaml:15:23: devices[0].site.school_id: unknown school 'sch-9'; "
                            "expected one of the school_ids under sites: sch-1, sch-2")


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = HUB + textwrap.dedent("""\
        journal:
          durability: sometimes
        sites:
          - school_id: sch-1
            region_code: "999999"
          - school_id: sch-1
            region_code: "140802"
        adapters:
          - {name: a, type: nosuchtype}
        devices:
          - id: d1
            kind: panel
            adapter: b
            site: {school_id: sch-7}
            colour: red
        subscribers:
          - id: p
            token_sha256: nope
            scope: {}
        """)
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (3, "journal.durability"),
        (6, "sites[0].region_code"),
        (7, "sites[1].school_id"),
        (10, "adapters[0].type"),
        (14, "devices[0].adapter"),
        (15, "devices[0].site.school_id"),
        (16, "devices[0].colour"),
        (19, "subscribers[0].token_sha256"),
        (20, "subscribers[0].scope"),
    ]


def test_problem_under_yaml_merge_points_at_the_line_that_wrote_the_value() -> None:
    text = BASE + textwrap.dedent("""\
        x-defaults: &panel
          kind: alarm_panel
          adapter: alpha-main
        """)
    problems = problems_of(text)
    assert [p.path for p in problems] == ["x-defaults"]  # an unknown top-level key, even if only an anchor holder
    text = BASE.replace("devices:\n", "devices:\n  - &panel\n    id: panel-0\n    kind: alarm_panel\n    adapter: alpha-main\n"
                        "    site: {school_id: sch-1}\n    options: {account: '12', poll_interval: -1}\n"
                        "  - <<: *panel\n    id: panel-00\n")
    problems = problems_of(text)
    # Both the anchor and the merged copy carry poll_interval from line 17; the merged one says so.
    assert [(p.line, p.path) for p in problems] == [(17, "devices[0].options.poll_interval"),
                                                    (17, "devices[1].options.poll_interval")]


def test_empty_sections_are_empty_not_errors() -> None:
    assert problems_of(HUB + "journal:\ndevices:\nsites:\n# nothing yet\n") == []


def test_columns_count_characters_not_bytes() -> None:
    [control] = problems_of("hub:\n  id: test-hub\n  name: 学校学校 \x00\n")
    line = "sites: [{name: 学校, school_id: a, region_code: '140802', 校: 1}]"
    [unknown] = problems_of(f"hub:\n  id: test-hub\n  name: 学校学校\n{line}\n")
    assert (control.line, control.column) == (3, len("  name: 学校学校 ") + 1)
    assert (unknown.line, unknown.column, unknown.path) == (4, line.index("校:") + 1, "sites[0]['校']")
