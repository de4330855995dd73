"""Simulated SNMP switches and UPSes: an agent serving their MIBs and sending their traps.

Library API: :class:`simulators.snmp.agent.SnmpSimulator` (``await SnmpSimulator.start(...)``);
device models in :mod:`.model`; scenarios in :mod:`.scenario`; CLI in :mod:`.cli`.
"""
