"""${NAME} and ${file:...} references, and secrets never showing in repr, str or problems."""
from __future__ import annotations

import hashlib
import pathlib

import pytest

import hub.config
from config_helpers import BASE, GOOD_HASH, HUB, problems_of

TOKEN_HASH = hashlib.sha256(b"police-token").hexdigest()


def load(text: str, env: dict[str, str] | None = None, base_dir=None) -> hub.config.HubConfig:
    return hub.config.load_text(text, "hub.yaml", env=env or {}, base_dir=base_dir)


def test_env_reference_is_substituted() -> None:
    config = load(BASE.replace(f'"{GOOD_HASH}"', "${POLICE_SHA}").replace(HUB, "hub: {id: test-hub, name: '${CITY} hub ${CITY}'}\n"),
                  env={"POLICE_SHA": TOKEN_HASH, "CITY": "Yuncheng"})
    assert config.subscribers[0].token_sha256.get_secret_value() == TOKEN_HASH
    assert config.hub.name == "Yuncheng hub Yuncheng"


def test_env_reference_feeds_typed_fields() -> None:
    config = load(HUB + "listeners:\n  grpc: {address: '127.0.0.1:${PORT}', max_subscribers: '${MAX}'}\n",
                  env={"PORT": "0", "MAX": "12"})
    assert (config.listeners.grpc.port, config.listeners.grpc.max_subscribers) == (0, 12)


def test_file_reference_strips_trailing_newline_and_resolves_relative(tmp_path: pathlib.Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "police.sha256").write_text(TOKEN_HASH + "\n")
    absolute = tmp_path / "name.txt"
    absolute.write_text("Yanhu\n\n")
    text = BASE.replace(f'"{GOOD_HASH}"', "${file:secrets/police.sha256}").replace(
        HUB, f"hub: {{id: test-hub, name: '${{file:{absolute}}}'}}\n")
    config = load(text, base_dir=tmp_path)
    assert config.subscribers[0].token_sha256.get_secret_value() == TOKEN_HASH
    assert config.hub.name == "Yanhu"


def test_dollar_dollar_is_a_literal_reference() -> None:
    assert load("hub: {id: test-hub, name: 'costs $$5 and $${HOME}'}\n").hub.name == "costs $$5 and ${HOME}"


def test_unreadable_file_is_a_problem_at_its_line(tmp_path: pathlib.Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    [problem] = problems_of(f"hub:\n  id: test-hub\n  name: '${{file:{directory}}}'\n")
    assert (problem.line, problem.path) == (3, "hub.name")
    assert f"cannot read {directory}" in problem.message


def test_missing_variables_are_all_reported() -> None:
    text = BASE.replace(f'"{GOOD_HASH}"', "${POLICE_SHA}").replace(HUB, "hub: {id: test-hub, name: '${A}${B}'}\n")
    problems = problems_of(text)
    assert sorted(p.message.split(" (")[0] for p in problems) == [
        "environment variable A is not set", "environment variable B is not set",
        "environment variable POLICE_SHA is not set"]


def test_keys_are_never_interpolated() -> None:
    [problem] = problems_of("hub: {id: test-hub, '${X}': 1}\n", env={"X": "id"})
    assert problem.message.startswith("unknown key '${X}'")


SECRET = "do-not-print-me-0123456789"


@pytest.mark.parametrize("text", [
    # a secret that is not a valid hash, from the environment and written literally
    BASE.replace(f'"{GOOD_HASH}"', "${POLICE_SHA}"),
    BASE.replace(f'"{GOOD_HASH}"', SECRET),
    # a secret adapter option that its (careless) validator quotes back
    BASE.replace("options: {port: 7000}", "options: {port: 7000, password: 'admin" + SECRET + "'}"),
    BASE.replace("options: {port: 7000}", "options: {port: 7000, password: '${ALPHA_PASSWORD}'}"),
    # a secret in a field of the wrong type
    BASE.replace("options: {port: 7000}", "options: {port: '${ALPHA_PASSWORD}'}"),
    # a non-secret field whose value came from the environment
    BASE.replace('region_code: "140802"', "region_code: '${POLICE_SHA}'"),
], ids=["env-token", "literal-token", "quoted-by-plugin", "env-plugin-secret", "env-in-int", "env-in-region"])
def test_problems_never_echo_secrets(text: str) -> None:
    env = {"POLICE_SHA": SECRET, "ALPHA_PASSWORD": "admin" + SECRET}
    with pytest.raises(hub.config.ConfigError) as caught:
        load(text, env=env)
    assert caught.value.problems
    for rendered in [str(caught.value), repr(caught.value), *map(repr, caught.value.problems)]:
        assert SECRET not in rendered


def test_problem_about_an_env_value_quotes_the_reference() -> None:
    [problem] = problems_of(BASE.replace('region_code: "140802"', "region_code: '${REGION}'"), env={"REGION": "1408"})
    assert problem.message == "'${REGION}' is not six digits"


def test_loaded_config_never_shows_secrets() -> None:
    text = BASE.replace(f'"{GOOD_HASH}"', "${POLICE_SHA}").replace(
        "options: {port: 7000}", "options: {port: 7000, password: '${ALPHA_PASSWORD}'}")
    config = load(text, env={"POLICE_SHA": TOKEN_HASH, "ALPHA_PASSWORD": SECRET})
    assert config.adapter_options("alpha-main").password.get_secret_value() == SECRET
    renderings = [repr(config), str(config), config.model_dump_json(), str(config.model_dump()),
                  repr(config.adapters), repr(config.adapter_options("alpha-main")), repr(config.subscribers)]
    for rendered in renderings:
        assert SECRET not in rendered
        assert TOKEN_HASH not in rendered
