"""TLS on the gRPC listener with a server certificate made for the test."""
from __future__ import annotations

import datetime as dt
import ipaddress

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.kernel import Hub, TlsFiles
from hub.api.grpc.client import HubClient

from .conftest import ALL_TOKEN, settings


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "campus-hub test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "hub.pem", tmp_path / "hub.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


async def test_tls_listener_serves_clients_that_trust_its_certificate(tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    hub = Hub(settings(tmp_path, tls=TlsFiles(cert_file, key_file)))
    await hub.start()
    try:
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN, ca_file=cert_file) as client:
            assert len(await client.list_devices()) == 5
        async with HubClient(f"127.0.0.1:{hub.grpc_port}", ALL_TOKEN) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await plaintext.list_devices()
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await hub.stop()
