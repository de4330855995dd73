"""The audit record of a fire panel's command, in the form alarm commands are audited
(hub.alarms._audit, category AUDIT, type ``audit.panel.<command>``), so ``campus-hub audit``
(``AlarmService.ListAudit``) shows who commanded which panel, from where, and what came of it.

``principal`` is the token's subscriber (an operator's command) or ``rule:<id>`` (a rule's);
``details`` says ``device=… command=… via=grpc|cli|rule``, ``comment_chars=``, for the CLI
``cli_user=`` (the login name the CLI reported; a claim, the principal is the token), for a rule
``rule_version=`` and ``run=``, and ``result_sequence=`` (the ``linkage.action.<result>`` event). Outcome ``accepted`` when the panel took the command; else
``refused`` with ``code``: ``role`` or ``not_found`` (the hub refused it), ``failed`` or
``timed_out`` (the panel or its link did not take it; ``reason`` says why)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.alarms._audit import ACCEPTED, MAX_FIELD, REFUSED, AuditRecord

__all__ = ["AuditSink", "VIA", "panel_audit_record", "safe_claim"]

VIA = ("grpc", "cli", "rule")
#: Journals a record; its sequence (AlarmProjection.record).
AuditSink = Callable[[AuditRecord], Awaitable[int]]


def safe_claim(value: str, limit: int = 64) -> str:
    """A caller's claim (the CLI's login name) as plain printable text, cut to ``limit``."""
    return "".join(c for c in value if c.isprintable() and not c.isspace())[:limit]


def panel_audit_record(*, principal: str, role: str, peer: str, device: str, command: str, via: str, phase: str,
                       reason: str = "", site: tuple[str, str] | None = None, extra: dict[str, str] | None = None
                       ) -> AuditRecord:
    """The record of a command whose result is ``phase`` (done, failed, timed_out, or a hub
    refusal: role, not_found). ``site`` is the panel's (region, school); None when no such panel
    is configured (then the record names no device either)."""
    details = {"device": device, "command": command, "via": via, **(extra or {})}
    outcome, code = (ACCEPTED, "") if phase == "done" else (REFUSED, phase)
    region, school = site or ("", "")
    return AuditRecord(
        principal=principal, role=role, peer=peer[:200], action=command[:32], alarm_id="", outcome=outcome, code=code,
        # Each value one printable word (a caller's device id or login name may be anything), so
        # the details stay "key=value ..." for a reader to split.
        reason=reason, details=" ".join(f"{key}={safe_claim(value)}" for key, value in details.items()
                                        if safe_claim(value))[:MAX_FIELD],
        region=region, school=school, device=device if site is not None else "", subject="panel")
