"""Every code in adapters/sia/codes.yaml, checked against expectations written here by hand.

Adding a code to the table without adding its expectation here fails ``test_*_table_is_fully_tested``.
"""
from __future__ import annotations

import pytest
from pysiaalarm.data.adm_mapping import ADM_MAPPING

from adapters.sia.codes import load_tables
from adapters.sia.frame import Frame
from adapters.sia.mapping import alarms_in
from hub.events import category_name, severity_name, state_name

TABLES = load_tables()

# code: (type, category, severity, state)
DC03_EXPECTED = {
    "FA": ("fire.alarm", "fire", "critical", "raised"),
    "FH": ("fire.alarm", "fire", "critical", "cleared"),
    "FR": ("fire.alarm", "fire", "critical", "cleared"),
    "FT": ("fire.trouble", "fire", "major", "raised"),
    "FJ": ("fire.trouble", "fire", "major", "cleared"),
    "FB": ("fire.bypass", "fire", "warning", "raised"),
    "FU": ("fire.bypass", "fire", "warning", "cleared"),
    "PA": ("panic.alarm", "panic", "critical", "raised"),
    "PH": ("panic.alarm", "panic", "critical", "cleared"),
    "PR": ("panic.alarm", "panic", "critical", "cleared"),
    "HA": ("panic.holdup", "panic", "critical", "raised"),
    "HH": ("panic.holdup", "panic", "critical", "cleared"),
    "QA": ("panic.emergency", "panic", "critical", "raised"),
    "QH": ("panic.emergency", "panic", "critical", "cleared"),
    "MA": ("medical.alarm", "medical", "critical", "raised"),
    "MH": ("medical.alarm", "medical", "critical", "cleared"),
    "BA": ("intrusion.burglary", "intrusion", "critical", "raised"),
    "BH": ("intrusion.burglary", "intrusion", "critical", "cleared"),
    "BR": ("intrusion.burglary", "intrusion", "critical", "cleared"),
    "BT": ("intrusion.trouble", "intrusion", "major", "raised"),
    "BJ": ("intrusion.trouble", "intrusion", "major", "cleared"),
    "BB": ("intrusion.bypass", "intrusion", "warning", "raised"),
    "BU": ("intrusion.bypass", "intrusion", "warning", "cleared"),
    "TA": ("intrusion.tamper", "intrusion", "major", "raised"),
    "TR": ("intrusion.tamper", "intrusion", "major", "cleared"),
    "AT": ("power.ac_loss", "power", "major", "raised"),
    "AR": ("power.ac_loss", "power", "major", "cleared"),
    "YT": ("power.battery_low", "power", "warning", "raised"),
    "YR": ("power.battery_low", "power", "warning", "cleared"),
    "YC": ("network.comm_failure", "network", "major", "raised"),
    "YK": ("network.comm_failure", "network", "major", "cleared"),
    "RP": ("system.test", "system", "info", "momentary"),
    "RX": ("system.test", "system", "info", "momentary"),
    "OP": ("intrusion.disarmed", "intrusion", "info", "momentary"),
    "CL": ("intrusion.armed", "intrusion", "info", "momentary"),
    "OA": ("intrusion.disarmed", "intrusion", "info", "momentary"),
    "CA": ("intrusion.armed", "intrusion", "info", "momentary"),
}

# event: (new/open meaning, restore/close meaning), each (type, category, severity, state)
CID_EXPECTED = {
    "100": ("medical.alarm", "medical", "critical"),
    "110": ("fire.alarm", "fire", "critical"),
    "111": ("fire.alarm", "fire", "critical"),
    "120": ("panic.alarm", "panic", "critical"),
    "121": ("panic.duress", "panic", "critical"),
    "122": ("panic.silent", "panic", "critical"),
    "123": ("panic.alarm", "panic", "critical"),
    "130": ("intrusion.burglary", "intrusion", "critical"),
    "131": ("intrusion.burglary", "intrusion", "critical"),
    "132": ("intrusion.burglary", "intrusion", "critical"),
    "137": ("intrusion.tamper", "intrusion", "major"),
    "144": ("intrusion.tamper", "intrusion", "major"),
    "301": ("power.ac_loss", "power", "major"),
    "302": ("power.battery_low", "power", "warning"),
    "350": ("network.comm_failure", "network", "major"),
    "373": ("fire.trouble", "fire", "major"),
    "570": ("intrusion.bypass", "intrusion", "warning"),
}
CID_MOMENTARY = {
    "602": {"1": "system.test", "3": "system.test", "6": "system.test"},
    "401": {"1": "intrusion.disarmed", "3": "intrusion.armed", "6": "intrusion.disarmed"},
}
# Where pysiaalarm's Contact ID -> DC-03 folding loses what we keep apart on purpose.
PYSIAALARM_FOLDS = {"121": "HA", "122": "HA"}  # duress and silent panic become holdup there


def described(meaning):
    return (meaning.type, category_name(meaning.category), severity_name(meaning.severity), state_name(meaning.state))


def test_dc03_table_is_fully_tested():
    assert set(TABLES.dc03) == set(DC03_EXPECTED)


def test_contact_id_table_is_fully_tested():
    assert set(TABLES.contact_id) == set(CID_EXPECTED) | set(CID_MOMENTARY)


@pytest.mark.parametrize("code", sorted(DC03_EXPECTED))
def test_dc03_code_through_a_frame(code):
    frame = Frame("SIA-DCS", 7, account="1234", data=f"#1234|Nri2/id9/{code}05")
    (alarm,) = alarms_in(frame, TABLES)
    assert described(alarm.meaning) == DC03_EXPECTED[code]
    assert alarm.attributes["zone"] == "05" and alarm.attributes["area"] == "2" and alarm.attributes["user"] == "9"
    assert TABLES.dc03[code].description


@pytest.mark.parametrize("event", sorted(CID_EXPECTED))
def test_contact_id_code_through_a_frame(event):
    type_, category, severity = CID_EXPECTED[event]
    for qualifier, state in (("1", "raised"), ("6", "raised"), ("3", "cleared")):
        frame = Frame("ADM-CID", 3, account="1234", data=f"#1234|{qualifier}{event} 02 015")
        (alarm,) = alarms_in(frame, TABLES)
        assert described(alarm.meaning) == (type_, category, severity, state)
        assert alarm.attributes["partition"] == "02" and alarm.attributes["zone"] == "015"


@pytest.mark.parametrize("event", sorted(CID_MOMENTARY))
def test_contact_id_momentary_codes(event):
    for qualifier, type_ in CID_MOMENTARY[event].items():
        (alarm,) = alarms_in(Frame("ADM-CID", 3, account="1234", data=f"{qualifier}{event} 01 007"), TABLES)
        assert described(alarm.meaning) == (type_, "intrusion" if event == "401" else "system", "info", "momentary")
    (alarm,) = alarms_in(Frame("ADM-CID", 3, data="1401 01 007"), TABLES)
    assert alarm.attributes["user"] == "007"  # CCC is the user for open/close


@pytest.mark.parametrize("event", sorted(set(CID_EXPECTED) | set(CID_MOMENTARY)))
def test_contact_id_agrees_with_pysiaalarm_folding(event):
    """Our Contact ID meaning equals the meaning of the DC-03 code pysiaalarm folds it into."""
    if event not in ADM_MAPPING:
        pytest.skip(f"pysiaalarm has no mapping for Contact ID {event}")
    for qualifier, sia_code in ADM_MAPPING[event].items():
        ours = TABLES.cid(qualifier, event)
        if event in PYSIAALARM_FOLDS:
            assert sia_code[0] == PYSIAALARM_FOLDS[event][0] and ours.type != TABLES.dc03[sia_code].type
            continue
        assert (ours.type, ours.state) == (TABLES.dc03[sia_code].type, TABLES.dc03[sia_code].state)


def test_unknown_codes_have_no_meaning():
    (alarm,) = alarms_in(Frame("SIA-DCS", 1, data="NZZ01"), TABLES)
    assert alarm.meaning is None and alarm.code == "ZZ"
    (alarm,) = alarms_in(Frame("ADM-CID", 1, data="1999 01 001"), TABLES)
    assert alarm.meaning is None


def test_xdata_becomes_attributes():
    from adapters.sia.frame import XData

    frame = Frame("SIA-DCS", 1, account="1234", data="NPA1", xdata=(XData("X", "116.4E"), XData("M", "0011AA")))
    (alarm,) = alarms_in(frame, TABLES)
    assert alarm.attributes["longitude"] == "116.4E" and alarm.attributes["mac"] == "0011AA"
