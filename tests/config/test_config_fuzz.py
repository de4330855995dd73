"""Whatever text it is given, loading a config returns a HubConfig or raises ConfigError."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hub.config
from hub.config.model import HubConfig

YAMLISH = st.lists(
    st.sampled_from(list(" \n\t:-[]{},#&*!|>'\"%@`?$\\") + ["  ", "${", "${X}", "${file:", "<<",
                                                                   "sites", "devices", "id", "true", "~", "0x1",
                                                                   "140802", "\x00", "\u00e9", "\ufeff"]),
    max_size=60,
).map("".join)

KEYS = st.sampled_from(list(HubConfig.model_fields) + ["school_id", "region_code", "id", "kind", "adapter",
                                                        "site", "options", "scope", "region_prefixes", "type",
                                                        "name", "token_sha256", "all_regions", "<<", "path", "grpc", "tls",
                                                        "cert_file", "address", "max_age", "upstream"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["140802", "1408", "alpha", "sch-1", "${HOME}", "${NOPE}", "${file:/}", "10s", "2GiB", "~x/y", "[::1]:0"]))
TREES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


def load_or_config_error(text: str) -> None:
    try:
        result = hub.config.load_text(text, "fuzz.yaml", env={"HOME": "/root"})
    except hub.config.ConfigError as exc:
        assert exc.problems and all(p.file == "fuzz.yaml" and p.line >= 1 for p in exc.problems)
    else:
        assert isinstance(result, HubConfig)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_garbage_text_raises_only_config_error(text: str) -> None:
    load_or_config_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_random_structures_raise_only_config_error(tree) -> None:
    load_or_config_error(yaml.safe_dump(tree))


def test_alias_bomb_is_a_problem_not_a_hang() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    try:
        hub.config.load_text("\n".join(lines), "bomb.yaml", env={})
    except hub.config.ConfigError as exc:
        assert "aliases expand the document beyond a sane size" in str(exc)


def test_deep_nesting_is_a_problem() -> None:
    for text in ["[" * 5000 + "]" * 5000, "a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000))]:
        try:
            hub.config.load_text(text, "deep.yaml", env={})
        except hub.config.ConfigError:
            pass


def test_paths_naming_unknown_users_or_nul_bytes_are_problems() -> None:
    for text in ["hub: {id: test-hub, name: '${file:~nosuchuser-xyz/x}'}\n",
                 "hub: {id: test-hub, name: \"${file:/tmp/a\\0b}\"}\n",
                 "hub: {id: test-hub}\njournal: {path: ~nosuchuser-xyz/j.db}\n"]:
        try:
            hub.config.load_text(text, "paths.yaml", env={})
        except hub.config.ConfigError as exc:
            assert len(exc.problems) == 1
        else:
            raise AssertionError(f"no problem for {text!r}")
