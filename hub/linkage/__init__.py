"""Linkage (联动): rules that make events move cameras, take snapshots, drive outputs and notify.

- :class:`Rule`, :class:`Trigger`, :class:`Action`, :class:`Schedule`, :class:`Coverage`: the
  rules and coverage as plain data (built from ``linkage:`` in hub.yaml, see hub.config.linkage).
- :func:`compile_condition`: a CEL condition type-checked against campushub.v1.Event.
- :class:`LinkageEngine` decides and runs; :class:`LinkageService` feeds it from the journal
  (named cursor "linkage") as a child of the hub's service tree. Every action's start and result
  is a journaled event of category LINKAGE (:func:`action_event`).
- :class:`MediaStore`: content-addressed snapshots with retention and signed URLs.
- :class:`PanelCommandRunner`: an operator's panel command (DeviceCommandService), journaled
  like an action with the operator as its actor; every panel command, an operator's or a rule's,
  also has an audit record (``audit.panel.<command>``, hub.linkage._audit) read by ``campus-hub audit``.
- A notify still being tried when the hub stopped is resumed by its next start, from the journal
  (the ``linkage.notify`` cursor, NOTIFY_CURSOR_NAME, stays before the oldest unfinished one).
- :class:`DeviceActions` carries actions out through SPI capabilities; :class:`DryRunActions`
  only says what it would do (``campus-hub rules test``).
"""
from hub.linkage._actions import DeviceActions, DryRunActions, Outcome
from hub.linkage._commands import CommandResult, PanelCommandRunner
from hub.linkage._cel import CelError, Condition, compile_condition
from hub.linkage._journaled import LINKAGE_CATEGORY, action_event, attached_media
from hub.linkage._media import MediaItem, MediaRejected, MediaStore, sniff_type
from hub.linkage._model import (
    DAYS, MODES, Action, CoveredSite, Coverage, Rule, Schedule, SiteSelector, TimeWindow, Trigger,
)
from hub.linkage._engine import CURSOR_NAME, MAX_DEPTH, NOTIFY_CURSOR_NAME, LinkageEngine, LinkageService
from hub.linkage._wiring import build_linkage, media_store_for

__all__ = ["CURSOR_NAME", "DAYS", "LINKAGE_CATEGORY", "MAX_DEPTH", "MODES", "Action", "CelError", "Condition",
           "CommandResult", "CoveredSite", "Coverage", "DeviceActions", "DryRunActions", "LinkageEngine", "LinkageService",
           "MediaItem", "MediaRejected", "MediaStore", "NOTIFY_CURSOR_NAME", "Outcome", "PanelCommandRunner", "Rule", "Schedule", "SiteSelector", "TimeWindow",
           "Trigger", "action_event", "attached_media", "build_linkage", "media_store_for", "compile_condition", "sniff_type"]
