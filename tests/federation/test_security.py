"""Credentials and NATS permissions: a hub may publish only under its own school's subjects, and
wrong credentials are a clear error while the journal keeps the events."""
from __future__ import annotations

import pydantic
import pytest

from hub.events import Site
from hub.spi import DeviceSpec
from tests.federation.conftest import camera_event, eventually, hub_settings, running
from uplinks.nats import NatsOptions
from uplinks.nats.servers import NatsServer

AUTH = """
authorization {
  users = [
    {user: school-a, password: a-secret, permissions: {
      publish: {allow: ["campus.*.14.08.02.sch-a.>", "$JS.API.>", "$JS.ACK.>"]},
      subscribe: {allow: ["_INBOX.>"]}}}
    {user: admin, password: admin-secret}
  ]
}
"""


@pytest.fixture
def secured_server(tmp_path):
    with NatsServer(tmp_path / "nats", "secured", config=AUTH) as server:
        yield server


def _restarts(hub) -> float:
    return hub.metrics.adapter_restarts.labels("uplink:nats")._value.get()


async def test_a_school_publishes_its_own_subjects_and_is_refused_another_schools(tmp_path, secured_server):
    settings = hub_settings(tmp_path, "school-a", [secured_server.url], school="sch-a", user="school-a",
                            password="a-secret")
    settings.devices = [*settings.devices, DeviceSpec(id="sch-b-cam", kind="camera", adapter="synth",
                                                      site=Site(region_code="140802", school_id="sch-b"))]
    # Streams made by an administrator (the school may not create them: streams.manage false).
    admin = hub_settings(tmp_path, "admin", [secured_server.url], publish=False, user="admin",
                         password="admin-secret")
    async with running(admin):
        async with running(hub_settings(tmp_path, "school-a", [secured_server.url], school="sch-a",
                                        user="school-a", password="a-secret")) as school:
            await school.submit(camera_event("sch-a", 0), "synth")
            await eventually(lambda: school.uplink("nats") and school.uplink("nats").status()["published"] == 1)
    async with running(settings) as school:
        await school.submit(camera_event("sch-b", 1), "synth")
        await eventually(lambda: sum(count for (instance, name, _), count in
                                     school.metrics.adapter_counter.tally.items()
                                     if instance == "uplink:nats" and name == "uplink_publish_failures") >= 1)
        assert school.uplink("nats").status()["backlog"] >= 1  # kept in the journal, not lost


async def test_wrong_credentials_are_a_clear_error_and_retried(tmp_path, secured_server):
    async with running(hub_settings(tmp_path, "school-a", [secured_server.url], school="sch-a", user="school-a",
                                    password="wrong")) as school:
        await school.submit(camera_event("sch-a", 0), "synth")
        await eventually(lambda: _restarts(school) >= 1)


def test_two_ways_to_authenticate_are_refused_in_the_config(tmp_path):
    creds = tmp_path / "hub.creds"
    creds.write_text("-----BEGIN NATS USER JWT-----\n")
    with pytest.raises(pydantic.ValidationError, match="user and creds_file are both set"):
        NatsOptions(servers=["nats://127.0.0.1:4222"], user="a", password="b", creds_file=creds)
    with pytest.raises(pydantic.ValidationError, match="user and password go together"):
        NatsOptions(servers=["nats://127.0.0.1:4222"], user="a")
