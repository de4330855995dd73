"""SNMPv3 USM users: protocol names as configured -> pysnmp's protocol identifiers."""
from __future__ import annotations

import dataclasses

from pysnmp.entity import config
from pysnmp.hlapi.v3arch import asyncio as hlapi

AUTH_PROTOCOLS = {
    "none": config.USM_AUTH_NONE, "md5": config.USM_AUTH_HMAC96_MD5, "sha": config.USM_AUTH_HMAC96_SHA,
    "sha224": config.USM_AUTH_HMAC128_SHA224, "sha256": config.USM_AUTH_HMAC192_SHA256,
    "sha384": config.USM_AUTH_HMAC256_SHA384, "sha512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "none": config.USM_PRIV_NONE, "des": config.USM_PRIV_CBC56_DES, "aes": config.USM_PRIV_CFB128_AES,
    "aes192": config.USM_PRIV_CFB192_AES, "aes256": config.USM_PRIV_CFB256_AES,
}


@dataclasses.dataclass(frozen=True)
class UsmUser:
    """An SNMPv3 user; empty keys mean no authentication / no privacy. ``engine_ids`` are the
    engines (senders of v3 traps) a receiver must localize this user's keys for."""

    name: str
    auth_key: str = ""
    priv_key: str = ""
    auth_protocol: str = "sha256"
    priv_protocol: str = "aes"
    engine_ids: tuple[bytes, ...] = ()

    def protocols(self) -> tuple:
        """(auth protocol, auth key or None, priv protocol, priv key or None) for pysnmp."""
        auth = AUTH_PROTOCOLS[self.auth_protocol if self.auth_key else "none"]
        priv = PRIV_PROTOCOLS[self.priv_protocol if self.priv_key else "none"]
        return auth, self.auth_key or None, priv, self.priv_key or None

    def hlapi_user(self) -> hlapi.UsmUserData:
        auth, auth_key, priv, priv_key = self.protocols()
        return hlapi.UsmUserData(self.name, auth_key, priv_key, authProtocol=auth, privProtocol=priv)
