"""The SNMP header reader: golden datagrams from net-snmp, pyasn1-built messages, arbitrary bytes."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pysnmp.proto import api

from adapters.snmp.envelope import EnvelopeError, peek_envelope
from fuzz.fuzz_snmp_envelope import TestOneInput
import snmp_vectors as vectors


def test_golden_v2c_trap():
    envelope = peek_envelope(vectors.V2C_LINK_DOWN)
    assert (envelope.version_name, envelope.community, envelope.pdu_type) == ("v2c", b"public", "trap")


def test_golden_v1_trap():
    envelope = peek_envelope(vectors.V1_LINK_DOWN)
    assert (envelope.version_name, envelope.community, envelope.pdu_type) == ("v1", b"public", "trap-v1")


def test_golden_v3_authpriv_trap_names_user_and_engine_but_not_the_encrypted_pdu():
    envelope = peek_envelope(vectors.V3_AUTHPRIV_COLD_START)
    assert envelope.version_name == "v3"
    assert envelope.user == b"trapuser"
    assert envelope.engine_id == bytes.fromhex("8000000001020304")
    assert envelope.flags & 3 == 3 and envelope.pdu_type is None and not envelope.is_discovery


def test_golden_v3_plain_trap():
    envelope = peek_envelope(vectors.V3_PLAIN_COLD_START)
    assert (envelope.user, envelope.pdu_type, envelope.flags & 3) == (b"plainuser", "trap", 0)


@given(st.sampled_from([vectors.V2C_LINK_DOWN, vectors.V1_LINK_DOWN, vectors.V3_AUTHPRIV_COLD_START,
                        vectors.V3_PLAIN_COLD_START]), st.data())
def test_truncated_or_corrupted_golden_datagrams_raise_only_envelope_error(datagram, data):
    cut = data.draw(st.integers(0, len(datagram) - 1))
    flip = data.draw(st.integers(0, len(datagram) - 1))
    for candidate in (datagram[:cut], datagram[:flip] + bytes([datagram[flip] ^ 0xFF]) + datagram[flip + 1:]):
        try:
            peek_envelope(candidate)
        except EnvelopeError:
            pass


@settings(max_examples=200)
@given(st.sampled_from([api.SNMP_VERSION_1, api.SNMP_VERSION_2C]), st.binary(max_size=300),
       st.integers(0, 2**31 - 1))
def test_reads_back_what_pyasn1_encodes(version, community, request_id):
    from pyasn1.codec.ber import encoder
    module = api.PROTOCOL_MODULES[version]
    pdu = module.GetRequestPDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, request_id)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    envelope = peek_envelope(encoder.encode(message))
    assert envelope.version == version and envelope.community == community and envelope.pdu_type == "get"


@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_envelope_error(data):
    try:
        peek_envelope(data)
    except EnvelopeError:
        pass


@given(st.binary(max_size=512))
def test_fuzz_target_runs_on_arbitrary_bytes(data):
    TestOneInput(data)
