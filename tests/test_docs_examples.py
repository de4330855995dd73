"""Every YAML example in docs/ loads with the loader it documents.

Convention (docs/README.md): each fenced ```yaml block is preceded by an HTML comment naming
what it is, which a reader of the rendered page does not see:

    <!-- example: sia-scenario -->            a whole file of that kind
    <!-- example: hub-config in subscribers --> a fragment: what goes under the top-level key
                                               ``subscribers:`` of such a file

A fragment is loaded inside a small valid document of its kind (:data:`FRAGMENT_BASES`). The text
handed to a loader keeps every line where the .md file has it, so a problem reads
``docs/adapters/sia.md:160:3: ...`` and points at the example itself. ``${NAME}`` references and
``*_env: NAME`` options get a placeholder value (a hash); ``${file:relative}`` references get a file
holding one.

The example files the docs link to (config/) load too, each with the loader of its kind
(:data:`EXAMPLE_FILES`); a new file there must be listed.
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
import textwrap
from collections.abc import Callable

import pytest

import hub.config
from adapters.modbus.profile import parse_profile
from hub.config.problems import ConfigError
from hub.config.source import parse_yaml
from hub.config.writer import dump_yaml
from hub.config.yaml_model import load_yaml_model
from simulators.camera.scenario import load_scenario_text as load_camera_scenario
from simulators.campus.scenario import load_scenario_text as load_campus_scenario
from simulators.fire_panel.scenario import Scenario as FirePanelScenario
from simulators.fire_panel.scenario import ScenarioFileError as FirePanelScenarioError
from simulators.sia.scenario import load_scenario_text as load_sia_scenario
from simulators.snmp.scenario import load_scenario as load_snmp_scenario

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PLACEHOLDER_HASH = "0" * 64
PLACEHOLDER_ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
_IMAGE_REFERENCE = re.compile(r"^\s*image:\s*(\S+\.(?:svg|png|jpg))\s*$", re.MULTILINE)

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\S*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<kind>[a-z-]+)(?:\s+in\s+(?P<key>[a-z_]+))?\s*-->\s*$")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\b[a-z_]+_env:\s*([A-Za-z_][A-Za-z0-9_]*)")
_FILE_REFERENCE = re.compile(r"\$\{file:([^}]+)\}")


@dataclasses.dataclass(frozen=True)
class Example:
    file: pathlib.Path
    line: int  # 1-based line of the opening fence
    kind: str | None  # None: no marker
    key: str | None  # a fragment's top-level key
    text: str  # the block's lines, dedented by the fence's indentation

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"

    def document(self) -> str:
        """The text to load: blank lines up to the block, so problems carry the .md's line numbers."""
        before = "\n" * (self.line - 1)
        if self.key is None:
            return before + "\n" + self.text
        text = self.text
        first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
        if not first.startswith("- "):  # a mapping fragment must be indented under its key (columns +2)
            text = "\n".join("  " + line if line else line for line in text.splitlines())
        return before + f"{self.key}:\n" + text + "\n" + FRAGMENT_BASES[self.kind]


def examples_in(path: pathlib.Path) -> list[Example]:
    lines = path.read_text("utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        if fence["lang"] in ("yaml", "yml"):
            previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            marker = _MARKER.match(previous)
            body = "\n".join(line[len(fence["indent"]):] for line in lines[index + 1:end])
            found.append(Example(path, index + 1, marker and marker["kind"], marker and marker["key"], body))
        index = end + 1
    return found


EXAMPLES = [example for path in sorted(DOCS.rglob("*.md")) for example in examples_in(path)]


def load_hub_config(example: Example, text: str, tmp_path: pathlib.Path, monkeypatch) -> None:
    env = placeholder_env(text, monkeypatch)
    for reference in _FILE_REFERENCE.findall(text):
        assert not reference.startswith("/"), f"{example.where}: use a relative ${{file:...}} path in examples"
        secret = tmp_path / reference
        secret.parent.mkdir(parents=True, exist_ok=True)
        # (an operator's console password hash is argon2, not sha256)
        secret.write_text((PLACEHOLDER_ARGON2 if reference.endswith(".argon2") else PLACEHOLDER_HASH) + "\n")
    for image in _IMAGE_REFERENCE.findall(text):  # console floor plans: a file to point at
        (tmp_path / image).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / image).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    hub.config.load_text(text, example.where.rsplit(":", 1)[0], env=env, base_dir=tmp_path)


def load_fire_panel_scenario(text: str, source: str) -> None:
    problems = load_yaml_model(text, source, FirePanelScenario).problems
    if problems:
        raise FirePanelScenarioError(problems)


#: kind -> loader(text, source name)
LOADERS: dict[str, Callable[[str, str], object]] = {
    "camera-scenario": load_camera_scenario,
    "campus-scenario": load_campus_scenario,
    "sia-scenario": load_sia_scenario,
    "snmp-scenario": load_snmp_scenario,
    "fire-panel-scenario": load_fire_panel_scenario,
    "modbus-profile": parse_profile,
}
KINDS = sorted([*LOADERS, "hub-config"])

#: The rest of a small valid document of each kind, for fragments (appended after them).
FRAGMENT_BASES = {
    "hub-config": textwrap.dedent("""\
        hub: {id: docs-example}
        sites:
          - {school_id: sch-140802-001, region_code: "140802"}
          - {school_id: sch-140821-001, region_code: "140821"}
        """),
}


def test_every_yaml_example_says_what_it_is():
    unmarked = [f"{e.where}: ```yaml without '<!-- example: KIND -->' before it (KIND: {', '.join(KINDS)})"
                for e in EXAMPLES if e.kind is None]
    unknown = [f"{e.where}: unknown example kind {e.kind!r}; expected one of {', '.join(KINDS)}"
               for e in EXAMPLES if e.kind is not None and e.kind not in KINDS]
    fragments = [f"{e.where}: no base document for fragments of {e.kind!r}"
                 for e in EXAMPLES if e.key is not None and e.kind not in FRAGMENT_BASES]
    assert not unmarked + unknown + fragments, "\n".join(unmarked + unknown + fragments)
    assert len(EXAMPLES) >= 9  # the finder still finds the examples


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind in KINDS], ids=lambda e: e.where)
def test_example_loads(example, tmp_path, monkeypatch):
    text = example.document()
    try:
        if example.kind == "hub-config":
            load_hub_config(example, text, tmp_path, monkeypatch)
        else:
            LOADERS[example.kind](text, example.where.rsplit(":", 1)[0])
    except ConfigError as exc:
        pytest.fail(f"the {example.kind} example at {example.where} does not load:\n{exc}", pytrace=False)


def test_a_broken_example_is_reported_at_its_line_in_the_doc(tmp_path):
    """The harness itself: a wrong key in a doc example is reported at the .md line it is on."""
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n<!-- example: sia-scenario -->\n```yaml\n- sia: PA\n  zonee: 1\n```\n")
    (example,) = examples_in(doc)
    with pytest.raises(ConfigError) as info:
        load_sia_scenario(example.document(), str(doc))
    assert str(info.value.problems[0]).startswith(f"{doc}:6:3: [0].zonee: unknown key 'zonee'")


#: The example files the docs link to, by where they live, and the loader of each.
EXAMPLE_FILES = {
    "config/hub.example.yaml": "hub-config",
    "config/examples/onvif.yaml": "hub-config",
    **{f"config/examples/{family}.yaml": "hub-config-part" for family in ("modbus", "sia", "snmp")},
    "config/examples/camera-scenario.yaml": "camera-scenario",
    "config/examples/fire-panel-scenario.yaml": "fire-panel-scenario",
    **{f"config/scenarios/{p.name}": "campus-scenario" for p in (ROOT / "config" / "scenarios").glob("*.yaml")},
    **{f"config/profiles/{p.name}": "modbus-profile" for p in (ROOT / "config" / "profiles").glob("*.yaml")},
}


def test_every_example_file_is_listed():
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "config").rglob("*.yaml")}
    assert shipped == set(EXAMPLE_FILES), "list new example files in EXAMPLE_FILES with their kind"


def placeholder_env(text: str, monkeypatch) -> dict[str, str]:
    env = {name: PLACEHOLDER_ARGON2 if name.endswith("PASSWORD_HASH") else PLACEHOLDER_HASH
           for names in _ENV_REFERENCE.findall(text) for name in names if name}
    for name, value in env.items():  # adapter options (password_env, key_env) read the process environment
        monkeypatch.setenv(name, value)
    return env


def read_as_the_hub(name: str):
    doc, problems = parse_yaml((ROOT / name).read_text("utf-8"), name)
    assert doc is not None and not problems, problems
    return doc.data


def test_family_examples_load_together_with_the_example_sites(monkeypatch):
    """modbus.yaml, sia.yaml and snmp.yaml are parts of one campus (their panels sit behind the
    switch of snmp.yaml) for the sites of hub.example.yaml: together they are a valid hub.yaml."""
    parts = sorted(name for name, kind in EXAMPLE_FILES.items() if kind == "hub-config-part")
    example = read_as_the_hub("config/hub.example.yaml")
    merged = {"hub": example["hub"], "sites": example["sites"], "adapters": [], "devices": []}
    for name in parts:
        part = read_as_the_hub(name)
        assert set(part) <= {"adapters", "devices"}, f"{name}: a part holds adapters: and devices: only"
        merged["adapters"] += part["adapters"]
        merged["devices"] += part["devices"]
    text = dump_yaml(merged)
    try:
        hub.config.load_text(text, " + ".join(parts), env=placeholder_env(text, monkeypatch), base_dir=ROOT)
    except ConfigError as exc:
        pytest.fail(f"{', '.join(parts)} do not load together:\n{exc}", pytrace=False)


@pytest.mark.parametrize("name", sorted(n for n, kind in EXAMPLE_FILES.items() if kind != "hub-config-part"))
def test_example_file_loads(name, monkeypatch):
    path = ROOT / name
    text = path.read_text("utf-8")
    kind = EXAMPLE_FILES[name]
    try:
        if kind == "hub-config":
            hub.config.load(path, env=placeholder_env(text, monkeypatch))
        else:
            LOADERS[kind](text, name)
    except ConfigError as exc:
        pytest.fail(f"{name} does not load:\n{exc}", pytrace=False)
