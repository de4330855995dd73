"""Bearer-token authentication of API callers. Tokens are configured as SHA-256 hashes only."""
from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Iterable

from hub.access._tokens import hash_token
from hub.access._scope import Scope


@dataclasses.dataclass(frozen=True)
class Subscriber:
    id: str
    token_sha256: str = dataclasses.field(repr=False)
    scope: Scope
    #: One of hub.access.ROLES: what the subscriber may do to alarms.
    role: str = "viewer"


class Authenticator:
    def __init__(self, subscribers: Iterable[Subscriber]) -> None:
        self._subscribers = list(subscribers)

    def authenticate(self, metadata) -> Subscriber | None:
        """The subscriber whose token the call carries, or None."""
        header = ""
        for key, value in metadata or ():
            if key == "authorization":
                header = value if isinstance(value, str) else value.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = hash_token(token.strip())
        found = None
        for subscriber in self._subscribers:  # compare all, in constant time each
            if hmac.compare_digest(digest, subscriber.token_sha256):
                found = subscriber
        return found
