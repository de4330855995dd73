"""Who may do what to the ledger (LedgerService and the console ask the same questions).

Every principal reads what its scope shows; an ``operator`` or ``supervisor`` registers entries,
moves them (not to 销号), comments and adds photos; only a ``supervisor`` closes (销号); 挂牌督办
takes a supervisor whose scope reaches the entry's region from above (a region prefix or all
regions, not the school itself). A ``platform`` comments.
"""
from __future__ import annotations

from hub.access import Scope
from hub.ledger._model import Hazard

WRITERS = frozenset({"operator", "supervisor"})
#: Action -> the roles that may take it.
ROLES_FOR = {
    "register": WRITERS,
    "move": WRITERS,
    "photo": WRITERS,
    "comment": WRITERS | {"platform"},
    "close": frozenset({"supervisor"}),
    "supervise": frozenset({"supervisor"}),
}


def may_ledger(role: str, action: str) -> bool:
    """May a principal of ``role`` take ledger ``action`` (one of ROLES_FOR)?"""
    return role in ROLES_FOR[action]


def supervises_from_above(scope: Scope, hazard: Hazard) -> bool:
    """Does ``scope`` reach the entry by a region (county, city, province) rather than as its school?"""
    return scope.all_regions or bool(hazard.region and hazard.region.startswith(scope.region_prefixes))


__all__ = ["ROLES_FOR", "WRITERS", "may_ledger", "supervises_from_above"]
