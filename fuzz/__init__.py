"""Fuzz targets for every parser of untrusted input (atheris; see docs/fuzzing.md).

Each ``fuzz_<name>.py`` defines ``TestOneInput(data)`` and ``seeds()`` (small valid inputs, written
to ``corpus/<name>/`` by ``python -m fuzz.seeds``). Run one with ``python -m fuzz.fuzz_<name>``, all
with ``python -m fuzz.run_all --seconds 300``; ``python -m fuzz.smoke <name>`` runs a target over
its seeds and random mutations without atheris (what CI does).
"""

TARGETS = (
    "sia", "sia_receiver", "snmp_envelope", "snmp_trap", "snmp_poll", "modbus_profile", "modbus_tracker",
    "modbus_link", "onvif", "onvif_fields", "grpc_request", "camera_requests", "fire_panel_requests", "modbus_pairing",
    "console_input",
    "ledger_photo", "media_signed_path", "linkage_snapshot",
)
