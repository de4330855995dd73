"""Operators' commands to devices (a fire panel's reset, silence, acknowledge), journaled like a
rule's actions: a ``linkage.action.started`` event before the write, then its result
(``done`` / ``failed`` / ``timed_out`` with the reason). Both name the operator (``actor``, ``role``,
``peer``) and carry their ``comment``; ``run`` is ``operator:<actor>#<id>``. Every command, also
one refused for the caller's role or scope, then gets its audit record (hub.linkage._audit)
before the caller hears the answer.

Unlike a rule, an operator may send a command its profile does not mark safe for rules."""
from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable

from hub.events import Event
from hub.linkage._audit import AuditSink, panel_audit_record
from hub.linkage._journaled import action_event
from hub.spi import CapabilityError

__all__ = ["CommandResult", "PanelCommandRunner"]

#: Longest comment kept in the journal (a longer one is cut).
MAX_COMMENT = 500


@dataclasses.dataclass(frozen=True)
class CommandResult:
    #: done, failed or timed_out.
    phase: str
    #: Journal sequence of the result event.
    sequence: int
    reason: str = ""


class PanelCommandRunner:
    """Sends an operator's panel command through ``actions`` (DeviceActions.panel), journaling
    its start and result through ``submit`` (the pipeline: enriched with the panel's site), and
    its audit record through ``audit``; ``site_of`` gives a configured panel's (region, school)."""

    def __init__(self, actions, submit: Callable[[Event, str], object], timeout: float = 10.0, *,
                 audit: AuditSink | None = None,
                 site_of: Callable[[str], tuple[str, str] | None] = lambda device: None) -> None:
        self.actions, self.submit, self.timeout = actions, submit, timeout
        self.audit, self.site_of = audit, site_of

    async def run(self, device: str, command: str, *, actor: str, role: str, peer: str = "",
                  comment: str = "", via: str = "grpc", cli_user: str = "") -> CommandResult:
        key = uuid.uuid4().hex[:16]
        attributes = {"action": "panel", "command": command, "target": device, "actor": actor, "role": role,
                      "peer": peer[:200], "comment": comment[:MAX_COMMENT], "run": f"operator:{actor}#{key}",
                      "action_id": f"operator:{actor}#{key}/{device}"}
        await self._journal("started", device, attributes)
        try:
            async with asyncio.timeout(self.timeout):  # (not wait_for: it can swallow a cancel, gh-86296)
                await self.actions.panel(device, command, False)
        except TimeoutError:
            reason = f"no result within {self.timeout:g} s"
            result = CommandResult("timed_out", await self._journal("timed_out", device, {**attributes, "reason": reason}),
                                   reason)
        except CapabilityError as exc:
            reason = str(exc)[:300]
            result = CommandResult("failed", await self._journal("failed", device, {**attributes, "reason": reason}),
                                   reason)
        else:
            result = CommandResult("done", await self._journal("done", device, attributes))
        await self._audit(device, command, result.phase, result.reason, actor=actor, role=role, peer=peer,
                          comment=comment, via=via, cli_user=cli_user, result_sequence=result.sequence)
        return result

    async def refused(self, device: str, command: str, *, actor: str, role: str, peer: str = "", comment: str = "",
                      reason: str, via: str = "grpc", cli_user: str = "") -> int:
        """Journal a command refused before it was sent (the caller's role); its sequence."""
        key = uuid.uuid4().hex[:16]
        sequence = await self._journal("failed", device, {
            "action": "panel", "command": command, "target": device, "actor": actor, "role": role,
            "peer": peer[:200], "comment": comment[:MAX_COMMENT], "run": f"operator:{actor}#{key}",
            "action_id": f"operator:{actor}#{key}/{device}", "reason": reason})
        await self._audit(device, command, "role", reason, actor=actor, role=role, peer=peer, comment=comment,
                          via=via, cli_user=cli_user, result_sequence=sequence)
        return sequence

    async def not_found(self, device: str, command: str, *, actor: str, role: str, peer: str = "", comment: str = "",
                        reason: str, via: str = "grpc", cli_user: str = "") -> None:
        """Audit a command to a panel that is not configured or not in the caller's scope (nothing
        else is journaled: there is no panel to act on)."""
        await self._audit(device, command, "not_found", reason, actor=actor, role=role, peer=peer, comment=comment,
                          via=via, cli_user=cli_user)

    async def _audit(self, device: str, command: str, phase: str, reason: str, *, actor: str, role: str, peer: str,
                     comment: str, via: str, cli_user: str, result_sequence: int = 0) -> None:
        if self.audit is None:
            return
        extra = {"cli_user": cli_user, "comment_chars": str(len(comment)) if comment else "",
                 "result_sequence": str(result_sequence) if result_sequence else ""}
        record = panel_audit_record(principal=actor, role=role, peer=peer, device=device, command=command, via=via,
                                    phase=phase, reason=reason, site=self.site_of(device), extra=extra)
        await asyncio.shield(self.audit(record))

    async def _journal(self, phase: str, device: str, attributes: dict) -> int:
        result = self.submit(action_event(phase, device, attributes), "linkage")
        # A command is given only once its start is durable; shielded, so a caller that goes away
        # cannot leave a started command without its result.
        return await asyncio.shield(result) if asyncio.isfuture(result) else int(result or 0)
