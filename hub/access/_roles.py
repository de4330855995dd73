"""Roles: what a principal (a subscriber) may do to alarms, beyond seeing what its scope shows.

- ``viewer``: reads (lists, watches, history).
- ``operator``: also acknowledges, comments, assigns, shelves (within the class's max_shelve),
  unshelves and escalates, in scope.
- ``supervisor``: also takes alarms out of service and closes them, forces (acknowledges whatever
  revision an alarm is at; closes an active or unacknowledged alarm) and shelves up to the class's
  supervisor_max_shelve.
- ``platform``: a machine subscriber (an upstream platform): reads and may comment, so a platform
  can record what it did with an alarm without handling it for the duty desk.
"""
from __future__ import annotations

ROLES = ("viewer", "operator", "supervisor", "platform")

_OPERATOR = frozenset({"acknowledge", "comment", "assign", "shelve", "unshelve", "escalate"})
_GRANTS = {
    "viewer": frozenset(),
    "operator": _OPERATOR,
    "supervisor": _OPERATOR | {"out_of_service", "close", "force", "long_shelve"},
    "platform": frozenset({"comment"}),
}
#: Every alarm command a role may be granted.
ALARM_ACTIONS = frozenset().union(*_GRANTS.values())


def may(role: str, action: str) -> bool:
    """May a principal of ``role`` give alarm command ``action`` (one of ALARM_ACTIONS)?"""
    if action not in ALARM_ACTIONS:
        raise ValueError(f"unknown alarm action {action!r}")
    return action in _GRANTS.get(role, frozenset())


def least_role(action: str) -> str:
    """The lowest of operator/supervisor that may give ``action`` (for error messages)."""
    return "operator" if action in _OPERATOR else "supervisor"
