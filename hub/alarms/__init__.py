"""Alarms: which events are alarms, an alarm's lifecycle, and the alarm table.

- The model is pure: :class:`Alarm` holds OPC UA Part 9 flags and a revision; its ISA-18.2
  state is derived (:class:`IsaState`); :func:`apply` runs a command through the table-driven
  state machine and returns :class:`Changed` or :class:`Refused` (nothing changed).
- :class:`AlarmClass` says which device events are alarms and how they behave.
- :class:`AlarmProjection` is the alarm table, a child of the hub's service tree: it follows
  the journal, decides changes (from device events and operators' commands) and submits each as
  an event of category ALARM through the pipeline; the table is rebuilt from those events.
"""
from hub.alarms._classes import AlarmClass, EscalationStep, LEVELS, match_class
from hub.alarms._machine import (
    RULES,
    Acknowledge,
    Assign,
    Changed,
    Clear,
    Close,
    Command,
    Comment,
    Escalate,
    ExpireShelving,
    Raise,
    Refused,
    SetOutOfService,
    Shelve,
    Unshelve,
    apply,
)
from hub.alarms._projection import AlarmNotFound, AlarmProjection, Change, CommandRefused, change_of, is_change
from hub.alarms._audit import AuditRecord, audit_of, is_audit
from hub.alarms._kpis import AlarmKpis, KpiCollector, KpiTracker
from hub.alarms._settings import OVERRIDABLE, AlarmOverride, AlarmSettings
from hub.alarms._state import Alarm, Disposition, IsaState, Shelving, alarm_id, isa_state

__all__ = ["AlarmKpis", "KpiCollector", "KpiTracker", "AuditRecord", "audit_of", "is_audit", "LEVELS", "OVERRIDABLE", "AlarmOverride", "AlarmSettings", "RULES", "Acknowledge", "Alarm", "AlarmClass", "AlarmNotFound", "AlarmProjection", "Change",
           "CommandRefused", "change_of", "is_change", "Assign", "Changed", "Clear", "Close", "Command",
           "Comment", "Disposition", "Escalate", "EscalationStep", "ExpireShelving", "IsaState", "Raise", "Refused",
           "SetOutOfService", "Shelve", "Shelving", "Unshelve", "alarm_id", "apply", "isa_state", "match_class"]
