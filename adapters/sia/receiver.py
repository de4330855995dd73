"""The receiver's decisions, sans-IO: what a frame means and what to answer (DC-09 §5.5).

Order of checks, first failing one wins:

==========================================  ==========  =====================
check                                       answer      reason label
==========================================  ==========  =====================
not a frame / CRC / length wrong            nothing     format, crc, length
header unreadable (CRC right)               NAK         header
id is not SIA-DCS, ADM-CID or NULL          DUH         unknown_id
account not configured                      NAK         unknown_account
plaintext where a key is configured         NAK         encryption_required
cannot decrypt (no key, wrong key)          NAK         decrypt
body or data block unreadable               DUH         content
encrypted without timestamp                 NAK         timestamp_missing
timestamp outside the account's window      NAK         timestamp
code not in the tables (policy ``duh``)     DUH         unmapped_code
``[K]`` xdata (key change request)          RSP         key_change
otherwise                                   ACK         ok
==========================================  ==========  =====================

ACK and RSP are only *decided* here; the transport sends them once the events are journaled.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Hashable, Mapping
from typing import Any

from adapters.sia.codes import CodeTables, load_tables
from adapters.sia.crypto import PadSource, random_pad
from adapters.sia.errors import ContentError, DecryptionError, HeaderError, SiaError
from adapters.sia.frame import MESSAGE_IDS, Envelope, Frame, open_envelope, parse_envelope
from adapters.sia.mapping import UNMAPPED, Alarm, alarms_in
from adapters.sia.responses import build_ack, build_duh, build_nak, build_rsp


class Outcome(enum.StrEnum):
    IGNORE = "ignore"  # no reply: the transmitter retries
    ACK = "ack"
    NAK = "nak"
    DUH = "duh"
    RSP = "rsp"


@dataclasses.dataclass(frozen=True)
class AccountPolicy:
    """How to treat one account (one configured device)."""

    account: str
    device_id: str
    key: bytes | None = None
    allow_plaintext: bool = False  # only matters when a key is set
    check_timestamp: bool = True
    timezone: dt.tzinfo = dt.UTC
    window_before_s: float = 40.0
    window_after_s: float = 20.0


@dataclasses.dataclass(slots=True)
class Verdict:
    outcome: Outcome
    reason: str
    detail: str = ""
    envelope: Envelope | None = None
    frame: Frame | None = None
    policy: AccountPolicy | None = None
    alarms: list[Alarm] = dataclasses.field(default_factory=list)
    occurred_at: dt.datetime | None = None  # the frame's timestamp as an aware UTC time
    reply: bytes | None = None

    @property
    def alive(self) -> bool:
        """Proof of life for supervision: readable with the account's key and fresh. A stale frame
        (NAKed for its time) proves nothing: it may be a recording replayed to hide a cut line."""
        return self.frame is not None and self.policy is not None and self.outcome != Outcome.NAK


class ReceiverCore:
    """Assess frames against the configured accounts. ``now`` is always passed in (aware UTC)."""

    def __init__(
        self,
        policies: Mapping[str, AccountPolicy],
        *,
        tables: CodeTables | None = None,
        unmapped_codes: str = "emit",
        pad_source: PadSource = random_pad,
    ) -> None:
        self.policies = {account.upper(): policy for account, policy in policies.items()}
        self.tables = tables or load_tables()
        self.unmapped_codes = unmapped_codes
        self.pad_source = pad_source

    def assess(self, raw: bytes, now: dt.datetime) -> Verdict:
        try:
            envelope = parse_envelope(raw)
        except HeaderError as exc:
            return Verdict(Outcome.NAK, exc.reason, str(exc), reply=build_nak(now))
        except SiaError as exc:
            return Verdict(Outcome.IGNORE, exc.reason, str(exc))
        if envelope.id not in MESSAGE_IDS:
            return Verdict(Outcome.DUH, "unknown_id", f"cannot process {envelope.id!r} messages", envelope,
                           reply=build_duh(envelope, binary_crc=envelope.binary_crc))
        policy = self.policies.get(_account_of(envelope))
        if policy is None:
            return Verdict(Outcome.NAK, "unknown_account", f"account {envelope.account!r} is not configured",
                           envelope, reply=build_nak(now, binary_crc=envelope.binary_crc))
        verdict = Verdict(Outcome.NAK, "", envelope=envelope, policy=policy)
        if not envelope.encrypted and policy.key is not None and not policy.allow_plaintext:
            return self._nak(verdict, now, "encryption_required", "plaintext frame for an account with a key")
        try:
            frame = open_envelope(envelope, policy.key)
        except DecryptionError as exc:
            return self._nak(verdict, now, exc.reason, str(exc))
        except SiaError as exc:
            return self._duh(verdict, exc.reason if exc.reason != "format" else "content", str(exc))
        verdict.frame = frame
        if frame.timestamp is not None:
            try:
                verdict.occurred_at = frame.timestamp.replace(tzinfo=policy.timezone).astimezone(dt.UTC)
            except OverflowError:  # e.g. 01-01-0001 east of UTC: no such time in UTC
                if policy.check_timestamp:
                    return self._nak(verdict, now, "timestamp", f"frame time {frame.timestamp} in "
                                     f"{policy.timezone} is outside the calendar in UTC")
        elif frame.encrypted and policy.check_timestamp:
            return self._nak(verdict, now, "timestamp_missing", "encrypted frames must carry a timestamp")
        if policy.check_timestamp and verdict.occurred_at is not None:
            skew = (verdict.occurred_at - now).total_seconds()
            if not -policy.window_before_s <= skew <= policy.window_after_s:
                return self._nak(verdict, now, "timestamp",
                                 f"frame time is {skew:+.0f}s from ours, allowed -{policy.window_before_s:g}"
                                 f"..+{policy.window_after_s:g}s")
        try:
            alarms = alarms_in(frame, self.tables)
        except ContentError as exc:
            return self._duh(verdict, exc.reason, str(exc))
        unmapped = [a.code for a in alarms if a.meaning is None]
        if unmapped and self.unmapped_codes == "duh":
            return self._duh(verdict, "unmapped_code", f"codes not in the mapping table: {unmapped}")
        verdict.alarms = [a if a.meaning else dataclasses.replace(a, meaning=UNMAPPED) for a in alarms]
        if frame.xdata_value("K") is not None:
            verdict.outcome, verdict.reason = Outcome.RSP, "key_change"
            verdict.reply = build_rsp(frame, now, policy.key, pad_source=self.pad_source,
                                      binary_crc=envelope.binary_crc)
        else:
            verdict.outcome, verdict.reason = Outcome.ACK, "ok"
            verdict.reply = build_ack(frame, now, policy.key, pad_source=self.pad_source,
                                      binary_crc=envelope.binary_crc)
        return verdict

    def reread(self, raw: bytes) -> tuple[AccountPolicy, Frame] | None:
        """A frame this receiver accepted before (from the journal), decrypted, without judging
        it again; None when it no longer reads (its account or key has changed since)."""
        try:
            envelope = parse_envelope(raw)
            policy = self.policies.get(_account_of(envelope))
            if policy is None:
                return None
            return policy, open_envelope(envelope, policy.key)
        except SiaError:
            return None

    @staticmethod
    def _nak(verdict: Verdict, now: dt.datetime, reason: str, detail: str) -> Verdict:
        verdict.outcome, verdict.reason, verdict.detail = Outcome.NAK, reason, detail
        verdict.reply = build_nak(now, binary_crc=verdict.envelope.binary_crc)
        return verdict

    @staticmethod
    def _duh(verdict: Verdict, reason: str, detail: str) -> Verdict:
        verdict.outcome, verdict.reason, verdict.detail = Outcome.DUH, reason, detail
        verdict.reply = build_duh(verdict.envelope, binary_crc=verdict.envelope.binary_crc)
        return verdict


_DATA_ACCOUNT = re.compile(r"#([0-9A-Fa-f]{3,16})\|")


def _account_of(envelope: Envelope) -> str:
    """The header's account; for plaintext frames without one, the ``#acct|`` of the data block
    (some transmitters put it only there, and pysiaalarm accepts that)."""
    if envelope.account is not None or envelope.encrypted:
        return (envelope.account or "").upper()
    match = _DATA_ACCOUNT.match(envelope.body)
    return match[1].upper() if match else ""


def duplicate_key(frame: Frame) -> tuple:
    """What makes a retry the same message: timestamp and pad may change between attempts."""
    # xdata as plain pairs: the key is hashed several times per frame, a dataclass in Python.
    return frame.account, frame.sequence, frame.id, frame.data, tuple((x.name, x.value) for x in frame.xdata)


class RecentMessages:
    """Messages seen within ``window_s``, so a panel's retries are ACKed again but not re-emitted.

    The window is bounded in time (sequences restart after a panel reboots: an old sequence number
    is a new alarm then) and in size per account.
    """

    def __init__(self, window_s: float, per_account: int = 64) -> None:
        self.window_s = window_s
        self.per_account = per_account
        self._entries: dict[Hashable, collections.OrderedDict[Hashable, tuple[float, Any]]] = {}

    def recall(self, account: Hashable, key: Hashable, now: float) -> Any | None:
        entries = self._entries.get(account)
        if not entries or key not in entries:
            return None
        seen_at, value = entries[key]
        if now - seen_at > self.window_s:
            del entries[key]
            return None
        return value

    def remember(self, account: Hashable, key: Hashable, value: Any, now: float) -> None:
        entries = self._entries.get(account)
        if entries is None:
            entries = self._entries[account] = collections.OrderedDict()
        entries[key] = (now, value)
        entries.move_to_end(key)
        while len(entries) > self.per_account:
            entries.popitem(last=False)

    def forget(self, account: Hashable, key: Hashable) -> None:
        self._entries.get(account, {}).pop(key, None)
