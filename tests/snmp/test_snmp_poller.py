"""The poller against the simulator: walks stop at their subtree, v1 GETNEXT, v3 authPriv, errors."""
from __future__ import annotations

import asyncio

import pytest

from adapters.snmp import oids
from adapters.snmp.poller import Poller, PollError, Target
from adapters.snmp.usm import UsmUser
from simulators.snmp.agent import SnmpSimulator
from simulators.snmp.model import SimDevice

USER = UsmUser("poller", "authpass123", "privpass123", "sha512", "aes256")


async def run_blocking(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


@pytest.fixture
async def setup():
    switch = SimDevice("sw", address="127.0.1.41", ports=30)
    switch.set_port(7, False, now=0)
    sim = await SnmpSimulator.start([switch, SimDevice("ups", address="127.0.1.42", ups=True)], v3_user=USER)
    poller = await Poller.create(run_blocking, max_repetitions=7)
    yield sim, poller
    poller.close()
    await sim.stop()


@pytest.mark.parametrize("version", ["v1", "v2c", "v3"])
async def test_walk_stays_inside_its_subtree(setup, version):
    sim, poller = setup
    target = await Target.create("127.0.1.41", sim.port, version=version, community="public", user=USER,
                                 timeout=1, retries=0)
    rows = await poller.walk(target, oids.IF_OPER_STATUS)
    assert [oid[-1] for oid, _ in rows] == list(range(1, 32))  # 30 ports and Vlan1 over several GETBULKs
    assert all(oid[:-1] == oids.IF_OPER_STATUS for oid, _ in rows)
    assert dict((oid[-1], value) for oid, value in rows)[7] == 2


async def test_get_returns_plain_values_and_none_for_absent(setup):
    sim, poller = setup
    target = await Target.create("127.0.1.42", sim.port, version="v2c", community="public", timeout=1, retries=0)
    values = await poller.get(target, [oids.SYS_NAME, oids.UPS_OUTPUT_SOURCE, oids.IF_OPER_STATUS + (1,)])
    assert values == {oids.SYS_NAME: b"ups", oids.UPS_OUTPUT_SOURCE: 3, oids.IF_OPER_STATUS + (1,): None}


async def test_timeout_and_error_kinds(setup):
    sim, poller = setup
    target = await Target.create("127.0.1.41", sim.port, version="v2c", community="public", timeout=0.2, retries=0)
    sim.misbehave("sw", error_after=0)
    with pytest.raises(PollError) as error:
        await poller.get(target, [oids.SYS_UPTIME])
    assert error.value.kind == "error" and "genErr" in str(error.value)
    sim.misbehave("sw", silent=True)
    with pytest.raises(PollError) as timeout:
        await poller.walk(target, oids.IF_DESCR)
    assert timeout.value.kind == "timeout"
    wrong = await Target.create("127.0.1.41", sim.port, version="v2c", community="guess", timeout=0.2, retries=0)
    sim.misbehave("sw", silent=False)
    with pytest.raises(PollError) as bad_community:  # agents ignore a wrong community: a timeout
        await poller.get(wrong, [oids.SYS_UPTIME])
    assert bad_community.value.kind == "timeout"


async def test_rediscover_forgets_the_engine_id_pysnmp_discovered(setup):
    sim, poller = setup
    target = await Target.create("127.0.1.41", sim.port, version="v3", user=USER, timeout=1, retries=0)
    await poller.get(target, [oids.SYS_UPTIME])
    model = poller.engine.message_processing_subsystems[3]
    assert model.get_peer_engine_info(*target.transport.get_transport_info()) != (None, None, None)
    assert poller.rediscover(target)  # False would mean pysnmp moved its cache
    assert model.get_peer_engine_info(*target.transport.get_transport_info()) == (None, None, None)
    assert oids.SYS_UPTIME in await poller.get(target, [oids.SYS_UPTIME])
