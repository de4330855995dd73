"""SNMP adapter family: switches and UPSes (traps, polling, terminal MAC inventory).

Sans-IO modules: :mod:`.oids` (numeric OIDs), :mod:`.taxonomy` (traps and poll findings as
events, data), :mod:`.fdb` (bridge forwarding tables and the terminal inventory),
:mod:`.watch` (per-device state from polls and traps), :mod:`.envelope` (who sent a datagram).
Transports: :mod:`.receiver` (trap/inform receiver) and :mod:`.poller`; :mod:`.adapter` ties them.
"""
