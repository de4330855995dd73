"""The operator web console: the alarm queue, an alarm's detail and handling, devices by school
with their online history, floor plans, the 联网率 / 在线率 dashboard (hub.reports' figures for
the operator's scope, by region with drill-down), the hazard ledger board with its 登记 form,
served by the hub over HTTP (twisted.web).

Server-rendered HTML (Jinja2, autoescaped) made live by htmx and server-sent events whose ids are
journal sequences (:mod:`hub.console._sse`); front-end libraries are vendored under the top-level
``console/static`` (no CDN). Operators log in with argon2-hashed passwords; each has a role and a
scope like a subscriber's, enforced on every page, fragment, stream and action. Every action goes
through :meth:`hub.alarms.AlarmProjection.command`, so it is journaled with the operator as actor.

:func:`attach_console` adds it to a :class:`hub.kernel.Hub` before it starts; ``hub.config``'s
``console:`` section gives its :class:`ConsoleSettings`.
"""
from hub.console._passwords import hash_password, password_matches, run_hash_password
from hub.console._service import ConsoleService, attach_console
from hub.console._settings import ConsoleSettings, FloorPlan, Marker, Operator

__all__ = ["ConsoleService", "ConsoleSettings", "FloorPlan", "Marker", "Operator", "attach_console",
           "hash_password", "password_matches", "run_hash_password"]
