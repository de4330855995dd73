"""Files other than hub.yaml read with the config machinery (``load_yaml_model``), and problems in
a file that a validator reads (a device profile named in options) reported at that file's lines."""
from __future__ import annotations

import pydantic
import pytest
from pydantic import BaseModel, ConfigDict, Field

from hub.config.problems import ConfigError, Problem
from hub.config.yaml_model import load_yaml_model


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the part is called.")
    size: int = Field(1, ge=1)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="Catalogue title.")
    parts: list[Part] = Field(min_length=1)


def problems_of(text: str) -> list[str]:
    loaded = load_yaml_model(text, "c.yaml", Catalogue)
    assert loaded.value is None
    return [str(p) for p in loaded.problems]


def test_a_valid_file_gives_the_model_and_where_things_are() -> None:
    value, doc, problems = load_yaml_model("title: T\nparts:\n  - {name: a}\n  - {name: b, size: 3}\n",
                                           "c.yaml", Catalogue)
    assert problems == [] and value == Catalogue(title="T", parts=[Part(name="a"), Part(name="b", size=3)])
    assert doc.mark(("parts", 1)) == (4, 5)


@pytest.mark.parametrize("text, expected", [
    ("", "c.yaml:1:1: the file is empty; expected a mapping with keys: title, parts"),
    ("- a\n", "c.yaml:1:1: is a list, not a mapping; expected a mapping with keys: title, parts"),
    ("title: [\n", "c.yaml:1:9: YAML syntax error"),
    ("title: T\nparts: []\n", "c.yaml:2:1: parts: is empty; expected at least 1 item"),
    ("title: T\nparts:\n  - {name: a, sise: 2}\n",
     "c.yaml:3:15: parts[0].sise: unknown key 'sise' (did you mean 'size'?); expected one of: name, size"),
    ("title: T\nparts:\n  - {size: 0}\n", "c.yaml:3:5: parts[0]: required key 'name' is missing"),
])
def test_problems_have_file_line_and_what_is_expected(text: str, expected: str) -> None:
    assert problems_of(text)[0].startswith(expected)


def test_a_yaml_problem_withholds_the_value_even_if_the_model_validates() -> None:
    assert problems_of("title: T\ntitle: U\nparts: [{name: a}]\n") == [
        "c.yaml:2:1: title: duplicate key 'title' (first given on line 1); expected each key once per mapping"]


class FileError(ConfigError, ValueError):
    """What a loader of another file raises (like adapters.modbus.profile.ProfileError)."""


class Options(BaseModel):
    profile: str

    @pydantic.field_validator("profile")
    @classmethod
    def _loads(cls, value: str) -> str:
        if value == "broken.yaml":
            raise FileError([Problem("broken.yaml", 7, 3, "signals[0]", "bad signal", "a good one"),
                             Problem("broken.yaml", 2, 1, "blocks", "bad block")])
        if value == "nope":
            raise ValueError("no profile named 'nope'; expected generic or a path")
        return value


def test_problems_of_a_file_a_validator_reads_are_reported_at_that_files_lines() -> None:
    loaded = load_yaml_model("profile: broken.yaml\n", "hub.yaml", Options)
    assert [str(p) for p in ConfigError(loaded.problems).problems] == [
        "hub.yaml:1:10: profile: broken.yaml does not load: see the 2 problems reported for it; "
        "expected a file without problems",
        "broken.yaml:2:1: blocks: bad block",
        "broken.yaml:7:3: signals[0]: bad signal; expected a good one",
    ]
    assert [str(p) for p in load_yaml_model("profile: nope\n", "hub.yaml", Options).problems] == [
        "hub.yaml:1:10: profile: no profile named 'nope'; expected generic or a path"]


def test_config_error_lists_files_in_the_order_they_were_named() -> None:
    error = ConfigError([Problem("z.yaml", 3, 1, "", "z3"), Problem("a.yaml", 1, 1, "", "a1"),
                         Problem("z.yaml", 1, 1, "", "z1")])
    assert [p.message for p in error.problems] == ["z1", "z3", "a1"]
    assert str(error).splitlines()[0] == "z.yaml: 3 problems"
