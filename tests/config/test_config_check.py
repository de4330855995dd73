"""`campus-hub check FILE`, the example config, and token hashing."""
from __future__ import annotations

import hashlib
import io
import pathlib
import re

from hypothesis import given
from hypothesis import strategies as st

import hub.config
from hub.config.check import check, main, run_check
from hub.access import hash_token, new_token, run_hash_token, token_matches

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "config" / "hub.example.yaml"
EXAMPLE_ENV = {"POLICE_TOKEN_SHA256": hash_token("police"), "EDU_TOKEN_SHA256": hash_token("education")}


def test_example_config_loads_cleanly() -> None:
    config = hub.config.load(EXAMPLE, env=EXAMPLE_ENV)
    assert config.sites[0].region_code == "140802"
    assert [a.type for a in config.adapters] == ["synthetic"]
    assert {s.id: s.scope.region_prefixes for s in config.subscribers} == {
        "yanhu-public-security": ["140802"], "yuncheng-education": ["1408"]}
    assert all(spec.site.region_code == "140802" for spec in config.device_specs())
    assert config.journal.path == EXAMPLE.parent / "data" / "journal.db"
    assert [c.name for c in config.alarms.classes] == ["panic", "fire"]


def test_example_config_documents_every_section() -> None:
    text = EXAMPLE.read_text()
    for section in ("hub", "journal", "listeners", "pipeline", "logging", "sites", "adapters", "devices", "subscribers",
                    "alarms"):
        heading = re.search(rf"((?:^#.*\n)+)^{section}:", text, re.MULTILINE)
        assert heading, f"section {section} has no comment above it"


def test_check_reports_ok_with_a_summary() -> None:
    out = io.StringIO()
    assert run_check(str(EXAMPLE), out, env=EXAMPLE_ENV) == 0
    assert out.getvalue() == f"{EXAMPLE}: OK (1 site, 1 adapter, 3 devices, 2 subscribers)\n"


def test_check_prints_every_problem_then_a_count(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("journal:\n  durability: fast\nlogging: {level: loud}\nhub: {id: '${HUB_ID}'}\n")
    out = io.StringIO()
    assert run_check(str(path), out, env={}) == 1
    assert out.getvalue().splitlines() == [
        f"{path}:2:15: journal.durability: invalid value 'fast'; expected one of 'full', 'normal' or 'off'",
        f"{path}:3:18: logging.level: invalid value 'loud'; expected one of 'debug', 'info', 'warning' or 'error'",
        f"{path}:4:11: hub.id: environment variable HUB_ID is not set (for ${{HUB_ID}}); "
        "expected HUB_ID set in the hub's environment, or a ${file:/path} reference",
        f"{path}: 3 problems",
    ]
    assert [p.line for p in check(path, env={})] == [2, 3, 4]


def test_check_of_a_missing_file(tmp_path: pathlib.Path, capsys) -> None:
    assert main([str(tmp_path / "nope.yaml")]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory; expected a readable YAML file",
        f"{tmp_path / 'nope.yaml'}: 1 problem",
    ]


def test_check_of_a_binary_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_bytes(b"hub: \xff\xfe\n")
    [problem] = check(path)
    assert "is not UTF-8 text" in str(problem)


def test_new_token_is_random_and_hashes_to_its_digest() -> None:
    (token, digest), (other, _) = new_token(), new_token()
    assert token != other and len(token) >= 43
    assert digest == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert token_matches(token, digest) and not token_matches(other, digest)
    assert not token_matches(token, "not-hex-\u00e9")


def test_new_tokens_never_look_like_a_command_line_option() -> None:
    # One in 64 URL-safe base64 tokens would start with "-" if nothing prevented it.
    assert not any(new_token()[0].startswith("-") for _ in range(2000))


def test_hash_token_command_prints_a_usable_pair() -> None:
    out = io.StringIO()
    assert run_hash_token(out) == 0
    token = re.search(r"^token:\s+(\S+)$", out.getvalue(), re.MULTILINE).group(1)
    digest = re.search(r"^sha256:\s+([0-9a-f]{64})$", out.getvalue(), re.MULTILINE).group(1)
    assert hash_token(token) == digest
    text = ("hub: {id: test-hub}\nsites: [{school_id: s, region_code: '140802'}]\n"
            "subscribers: [{id: p, token_sha256: '${SHA}', scope: {school_ids: [s]}}]\n")
    config = hub.config.load_text(text, "hub.yaml", env={"SHA": digest})
    assert token_matches(token, config.subscribers[0].token_sha256)
    assert not token_matches(token + "x", config.subscribers[0].token_sha256)


def test_integrator_guide_documents_every_field() -> None:
    import pydantic

    from hub.config import alarm_classes, linkage, model

    guide = (EXAMPLE.parents[1] / "docs" / "integrator-guide.md").read_text()
    sections = [value for module in (model, alarm_classes, linkage) for value in vars(module).values()
                if isinstance(value, type) and issubclass(value, pydantic.BaseModel)
                and value.__module__ == module.__name__]
    # What a user writes: the alias where there is one (`from:` is `from_` in Python).
    undocumented = [f"{section.__name__}.{name}" for section in sections for name, field in section.model_fields.items()
                    if not re.search(rf"`(?:[a-z_]+\.)*{field.alias or name}[`.]", guide)]
    assert undocumented == []


@given(st.dictionaries(st.sampled_from(["sites", "devices", "adapters"]),
                       st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["13E0", "0x1F", "true", "Null", "~",
                                                                                  ".5", "-1", "on", "1e3"])),
                                max_size=4), min_size=1))
def test_written_yaml_reads_back_as_written(data):
    from hub.config.source import parse_yaml
    from hub.config.writer import dump_yaml
    document, problems = parse_yaml(dump_yaml(data), "written.yaml")
    assert not problems and document.data == data


def test_the_embedding_example_of_the_integrator_guide_runs_on_the_example_config(monkeypatch):
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    guide = (EXAMPLE.parents[1] / "docs" / "integrator-guide.md").read_text()
    section = guide.split("## For developers embedding the hub", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    # The guide's file and adapter instance are the example config's.
    code = block.replace('"hub.yaml"', repr(str(EXAMPLE))).replace('"sia-main"', '"synthetic-demo"')
    namespace: dict = {}
    exec(compile(code, "integrator-guide.md", "exec"), namespace)
    assert callable(namespace["run_check"]) and callable(namespace["load_adapter_class"])
    assert namespace["config"].summary().count(",") == 3
