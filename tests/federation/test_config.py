"""The ``uplinks:`` section: checked by the uplink type's own model, problems at their line;
a hub built from it runs the uplink."""
from __future__ import annotations

import pytest

from hub.cli.runtime import settings_from_config
from hub.config import ConfigError, load_text
from uplinks.nats import NatsOptions

CONFIG = """\
hub: {id: county-140802}
journal: {path: ./journal.db}
uplinks:
  - name: federation
    type: nats
    options:
      servers: [nats://127.0.0.1:4222]
      password: ${NATS_PASSWORD}
      user: county-140802
      streams: {replicas: 3, manage: false}
      ingest:
        region_prefix: "140802"
        origins: [school-a, school-b]
"""


def test_uplink_options_are_loaded_into_the_types_model(tmp_path):
    config = load_text(CONFIG, base_dir=tmp_path, env={"NATS_PASSWORD": "s3cret"})
    options = config.uplinks[0].options
    assert isinstance(options, NatsOptions)
    assert options.password.get_secret_value() == "s3cret" and options.streams.replicas == 3
    assert options.ingest.origins == ["school-a", "school-b"]
    settings = settings_from_config(config)
    assert [(u.name, u.cls.__name__) for u in settings.uplinks] == [("federation", "NatsUplink")]


@pytest.mark.parametrize(("change", "expected"), [
    ("region_prefix: \"140802\"", "region_prefix: \"1499\""),
    ("type: nats", "type: kafka"),
    ("replicas: 3", "replicas: 9"),
])
def test_a_wrong_uplink_option_is_reported_at_its_line(tmp_path, change, expected):
    with pytest.raises(ConfigError) as failed:
        load_text(CONFIG.replace(change, expected), base_dir=tmp_path, env={"NATS_PASSWORD": "x"})
    text = str(failed.value)
    line = 1 + CONFIG.splitlines().index(next(l for l in CONFIG.splitlines() if change in l))
    assert f":{line}:" in text, text


def test_a_hub_without_uplinks_needs_no_nats(tmp_path):
    config = load_text("hub: {id: lone-school}\n", base_dir=tmp_path)
    assert config.uplinks == [] and settings_from_config(config).uplinks == []
