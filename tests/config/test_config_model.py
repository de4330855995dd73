"""Defaults, parsed values and the conveniences the hub uses."""
from __future__ import annotations

import pathlib

import pytest

import hub.config
from hub.config import hub_id_from
from hub.regions import validate_region_code, validate_region_prefix
from hub.config.units import parse_duration, parse_host_port, parse_size, split_host_port
from hub.events import Site
from hub.spi import DeviceSpec, Upstream

from config_helpers import BASE, HUB


def test_minimal_config_takes_defaults(tmp_path: pathlib.Path) -> None:
    config = hub.config.load_text("hub: {id: test-hub}\n", "hub.yaml", env={}, base_dir=tmp_path)
    assert (config.hub.id, config.hub.name) == ("test-hub", "")
    assert config.journal.path == tmp_path / "data" / "journal.db"
    assert config.journal.durability == "normal"
    assert config.journal.max_age == 30 * 86400.0
    assert config.journal.max_bytes == 2 * 1024**3
    assert (config.journal.max_events_per_commit, config.journal.tail_cache_events) == (5000, 200_000)
    assert (config.listeners.grpc.host, config.listeners.grpc.port) == ("127.0.0.1", 50051)
    assert config.listeners.grpc.tls is None and config.listeners.metrics is None
    assert config.pipeline.dedupe_window == 10.0
    assert (config.logging.level, config.logging.format) == ("info", "auto")
    assert config.summary() == "0 sites, 0 adapters, 0 devices, 0 subscribers"


def test_relative_paths_resolve_against_the_config_file(tmp_path: pathlib.Path, monkeypatch) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hub.pem").write_text("cert")
    (tmp_path / "etc" / "hub.key").write_text("key")
    path = tmp_path / "etc" / "hub.yaml"
    path.write_text(HUB + "journal: {path: ../var/j.db, durability: off}\n"
                    "listeners:\n  grpc: {address: '[::1]:0', tls: {cert_file: hub.pem, key_file: hub.key}}\n"
                    "  metrics: {}\n")
    monkeypatch.chdir("/")
    config = hub.config.load(path, env={})
    assert config.journal.path == tmp_path / "var" / "j.db"
    assert config.journal.durability == "off"  # YAML 1.2: off is a word, not false
    assert config.listeners.grpc.tls.cert_file == tmp_path / "etc" / "hub.pem"
    assert (config.listeners.grpc.host, config.listeners.grpc.port) == ("::1", 0)
    assert config.listeners.metrics.address == "127.0.0.1:9464"


def test_device_specs_carry_site_region_options_and_upstream() -> None:
    text = BASE.replace("devices:\n", "devices:\n  - id: sw-1\n    kind: switch\n    adapter: alpha-main\n"
                        "    site: {school_id: sch-2, building: A, floor: 1, zone: 3}\n    options: {account: '9'}\n")
    text = text.replace("options: {account: \"1234\"}", "options: {account: \"1234\"}\n    upstream: {device: sw-1, port: 7}")
    config = hub.config.load_text(text, "hub.yaml", env={})
    switch, panel = config.device_specs()
    assert switch == DeviceSpec(id="sw-1", kind="switch", adapter="alpha-main",
                                site=Site(region_code="140821", school_id="sch-2", building="A", floor="1", zone="3"),
                                options=switch.options)
    assert switch.options.account == "9" and switch.options.poll_interval == 5.0
    assert panel.site.region_code == "140802" and panel.upstream == Upstream("sw-1", 7)
    assert [spec.id for spec in config.device_specs("alpha-main")] == ["sw-1", "panel-1"]
    assert config.adapter_options("alpha-main").port == 7000
    assert config.site("sch-2").region_code == "140821"
    assert config.summary() == "2 sites, 1 adapter, 2 devices, 1 subscriber"


def test_merge_keys_share_device_defaults() -> None:
    text = BASE.replace("devices:\n", "x-panel: &panel {kind: alarm_panel, adapter: alpha-main}\ndevices:\n")
    with pytest.raises(hub.config.ConfigError, match="unknown key 'x-panel'"):
        hub.config.load_text(text, "hub.yaml", env={})
    text = BASE.replace("  - id: panel-1\n    kind: alarm_panel\n", "  - &panel\n    id: panel-1\n    kind: alarm_panel\n")
    text = text.replace("subscribers:", "  - <<: *panel\n    id: panel-2\n    options: {account: '77'}\nsubscribers:")
    config = hub.config.load_text(text, "hub.yaml", env={})
    assert [(d.id, d.kind, d.options.account) for d in config.devices] == [("panel-1", "alarm_panel", "1234"),
                                                                           ("panel-2", "alarm_panel", "77")]


@pytest.mark.parametrize(("text", "seconds"), [
    ("10s", 10.0), ("500ms", 0.5), ("5m", 300.0), ("1h30m", 5400.0), ("30d", 2592000.0), ("2w", 1209600.0),
    (0, 0.0), (2.5, 2.5), ("15", 15.0), ("1H", 3600.0),
])
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "10 days", "1h30", "-1s", True, None, [], "nan", "inf"])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [
    ("2GiB", 2 * 1024**3), ("512MiB", 512 * 1024**2), ("500MB", 500 * 10**6), ("1kB", 1000), ("1.5KiB", 1536),
    (4096, 4096), ("4096", 4096), ("10 B", 10),
])
def test_sizes(text, size) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["2 gigs", "GiB", "-1MB", False, "1e3"])
def test_bad_sizes(text) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_size(text)


@pytest.mark.parametrize(("text", "host", "port"), [
    ("127.0.0.1:50051", "127.0.0.1", 50051), ("[::1]:50051", "::1", 50051), ("localhost:0", "localhost", 0),
    ("0.0.0.0:65535", "0.0.0.0", 65535), ("[::]:9464", "::", 9464),
])
def test_host_port(text, host, port) -> None:
    assert split_host_port(text) == (host, port)
    assert parse_host_port(f" {text} ") == text


@pytest.mark.parametrize("text", ["50051", ":50051", "::1:50051", "[::1]50051", "[nothost]:1", "host:-1",
                                  "host:65536", "bad_host:1", "host:port", 50051,
                                  "host:\u00b2"])
def test_bad_host_port(text) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_host_port(text)


@pytest.mark.parametrize("code", ["140802", "110000", "140800", "110101", "469001", "659001", "820000"])
def test_region_codes(code) -> None:
    assert validate_region_code(code) == code


@pytest.mark.parametrize("code", ["14080", "1408021", "14080a", "000000", "190802", "147102", "149902", "140012"])
def test_bad_region_codes(code) -> None:
    with pytest.raises(ValueError, match="expected"):
        validate_region_code(code)


@pytest.mark.parametrize(("prefix", "good"), [
    ("14", True), ("1408", True), ("140802", True), ("1490", True), ("1", False), ("140", False),
    ("1400", False), ("10", False), ("1480", False), ("14080", False),
])
def test_region_prefixes(prefix, good) -> None:
    if good:
        assert validate_region_prefix(prefix) == prefix
    else:
        with pytest.raises(ValueError, match="expected"):
            validate_region_prefix(prefix)


@pytest.mark.parametrize(("parts", "expected"), [
    (("sim", "one-school", "sch-140802-001"), "sim-one-school-sch-140802-001"),
    (("demo", "Yanhu Experimental School No. 1"), "demo-yanhu-experimental-school-no.-1"),
    (("sim", "县 campus", ""), "sim-campus"),
    (("a" * 70,), "a" * 64),
    (("x", "-" * 70 + "y"), "x-y"),
])
def test_hub_id_from_makes_a_valid_id_of_any_text(parts, expected) -> None:
    assert hub_id_from(*parts) == expected
    assert hub.config.load_text(f"hub: {{id: {expected}}}\n", "hub.yaml", env={}).hub.id == expected


def test_hub_id_from_nothing_usable_is_an_error() -> None:
    with pytest.raises(ValueError, match="no hub id"):
        hub_id_from("学校", "--")
