"""The hazard ledger (隐患台账): entries with grade, category, place, deadline and 五落实 plan,
moved 登记 → 整改中 → 待验收 → 销号 by people, opened and cleared automatically by persisting
faults, marked overdue by the hub; every change journaled (category LEDGER) with its actor.

- :mod:`hub.ledger._model` is pure: :class:`Hazard`, the commands and :func:`apply`.
- :class:`LedgerProjection` is the ledger, a child of the hub's service tree over the persisted
  cursor "ledger" (see its module docstring).
- :class:`MediaPhotoStore` keeps photos (JPEG/PNG, size-checked) in the hub's media store, behind
  :class:`PhotoStore` (:class:`FilePhotoStore`: a directory of them, where they were kept before).
- :func:`statistics` gives quarterly and yearly figures per place.
- :func:`may_ledger` and :func:`supervises_from_above`: who may do what (gRPC and the console).
"""
from hub.ledger._journaled import LEDGER_CATEGORY, change_event, hazard_of, is_ledger_change
from hub.ledger._model import (
    GRADES, HUB_ACTOR, MOVES, STATES, AddPhoto, Changed, Comment, FaultCleared, Hazard, MarkOverdue, Move, Refused,
    Supervise, allowed_moves, apply,
)
from hub.ledger._photos import FilePhotoStore, MediaPhotoStore, PhotoRef, PhotoRejected, PhotoStore, photo_type
from hub.ledger._rights import ROLES_FOR, may_ledger, supervises_from_above
from hub.ledger._projection import HazardNotFound, HazardRefused, LedgerProjection, RegistrationRefused
from hub.ledger._settings import AUTO_CATEGORIES, DEFAULT_CATEGORIES, LedgerSettings
from hub.ledger._statistics import PlaceStatistics, period, statistics

__all__ = ["AUTO_CATEGORIES", "DEFAULT_CATEGORIES", "GRADES", "HUB_ACTOR", "LEDGER_CATEGORY", "MOVES", "STATES",
           "AddPhoto", "Changed", "Comment", "FaultCleared", "FilePhotoStore", "Hazard", "HazardNotFound",
           "HazardRefused", "LedgerProjection", "LedgerSettings", "MarkOverdue", "MediaPhotoStore", "Move", "PhotoRef", "PhotoRejected",
           "PhotoStore", "PlaceStatistics", "ROLES_FOR", "RegistrationRefused", "Refused", "Supervise", "allowed_moves",
           "apply", "change_event", "hazard_of", "is_ledger_change", "may_ledger", "period", "photo_type", "statistics",
           "supervises_from_above"]
