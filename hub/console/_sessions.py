"""Console sessions and login throttling.

A session is a random 256-bit id in an HttpOnly, SameSite=Strict cookie, held in memory only: a
hub restart logs everybody out, which is safer than a session table on disk and costs one login.
Each session has its own CSRF token (synchronizer pattern): a token from another session, an
earlier login or a logged-out session does not match, so replayed tokens are refused too.
"""
from __future__ import annotations

import collections
import dataclasses
import hmac
import secrets
import time
from collections.abc import Callable

from hub.console._settings import Operator


@dataclasses.dataclass
class Session:
    id: str = dataclasses.field(repr=False)
    operator: Operator
    csrf: str = dataclasses.field(repr=False)
    expires: float
    #: Called when the session ends (logout, expiry): live streams close.
    on_end: list[Callable[[], None]] = dataclasses.field(default_factory=list, repr=False)

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode("utf-8", "replace"), self.csrf.encode())


class Sessions:
    def __init__(self, lifetime: float, clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def start(self, operator: Operator) -> Session:
        self._expire()
        session = Session(secrets.token_urlsafe(32), operator, secrets.token_urlsafe(32),
                          self.clock() + self.lifetime)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is not None and session.expires <= self.clock():
            self.end(session)
            return None
        return session

    def end(self, session: Session) -> None:
        if self._sessions.pop(session.id, None) is not None:
            for callback in session.on_end:
                callback()
            session.on_end.clear()

    def _expire(self) -> None:
        now = self.clock()
        for session in [s for s in self._sessions.values() if s.expires <= now]:
            self.end(session)


class LoginThrottle:
    """At most ``attempts`` failed logins per key (a source address, a login name) per ``window``
    seconds; the same for known and unknown names, so refusals reveal no accounts."""

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, collections.deque[float]] = {}

    def retry_after(self, *keys: str) -> float:
        """Seconds until a login for these keys is considered again (0: now)."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) >= self.attempts:
                wait = max(wait, failures[0] + self.window - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._recent(key, now).append(now)
        if len(self._failures) > 100_000:  # a spray of names must not grow memory without bound
            for key in [k for k, d in self._failures.items() if not d or d[-1] + self.window <= now]:
                del self._failures[key]

    def succeeded(self, name_key: str) -> None:
        self._failures.pop(name_key, None)

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        failures = self._failures.setdefault(key, collections.deque())
        while failures and failures[0] + self.window <= now:
            failures.popleft()
        return failures
