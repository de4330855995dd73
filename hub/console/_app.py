"""The console's pages, fragments and actions.

Every handler gets the session (or refuses), and every alarm, device, school and floor plan is
looked up through the operator's scope: what is outside it answers 404 exactly like what does not
exist. Every POST needs the session's CSRF token (header X-CSRF-Token, which htmx sends, or the
form's ``csrf`` field) and, when the browser says where it comes from (Origin), this console.
Actions carry the alarm revision the operator saw; a stale one is refused with what changed.
"""
from __future__ import annotations

import asyncio
import dataclasses
import mimetypes
import pathlib
import re
import secrets
import time

import jinja2
import structlog
from prometheus_client import Counter, Gauge
from twisted.internet.defer import Deferred
from twisted.web import resource, server

from hub.access import may, shown
from hub.alarms import (
    Acknowledge, AlarmNotFound, Assign, Close, CommandRefused, Comment, Disposition, Shelve, Unshelve,
)
from hub.console import _sse
from hub.console._history import DeviceHistory
from hub.console._http import (
    SECURITY_HEADERS, Answer, cookie, field, here, safe_next, set_cookie,
)
from hub.console._i18n import LANGUAGES, translate, translate_or
from hub.console._passwords import password_matches
from hub.console._ledger_pages import LedgerPages
from hub.console._report_pages import ReportPages
from hub.console._rows import RowCache
from hub.console._untrusted import same_origin
from hub.console._sessions import LoginThrottle, Session, Sessions
from hub.console._settings import ConsoleSettings
from hub.console._views import FILTERS, FIRST_SCREEN, MAX_ROWS, HubTime, alarm_matcher, place_matcher, queue, strip, what_changed
from hub.events import DeviceState

log = structlog.get_logger("console")

SESSION_COOKIE = "campushub_session"
LOGIN_COOKIE = "campushub_login"
LANG_COOKIE = "campushub_lang"
_DEVICE_STATES = {DeviceState.DEVICE_STATE_ONLINE: "online", DeviceState.DEVICE_STATE_OFFLINE: "offline",
                  DeviceState.DEVICE_STATE_FAULTY: "faulty"}
_SHELVE_CHOICES = (900, 3600, 4 * 3600, 8 * 3600)
_HISTORY_WINDOW = 24 * 3600.0
#: Longest a fragment waits for its projection to reach the journal's head.
CATCH_UP = 2.0
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$")
_RTSP_URL = re.compile(r"^rtsps?://[^\s\"'<>]+$")


class _LogLimit:
    """At most one log line per key per minute; the lines say how many were left out."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, int]] = {}

    def allow(self, key: str) -> int | None:
        now = time.monotonic()
        last, skipped = self._last.get(key, (0.0, 0))
        if now - last < 60.0:
            self._last[key] = (last, skipped + 1)
            return None
        if len(self._last) > 10_000:
            self._last.clear()
        self._last[key] = (now, 0)
        return skipped


class ConsoleMetrics:
    def __init__(self, registry) -> None:
        self.logins = Counter("campushub_console_logins_total", "Console logins by outcome", ["outcome"],
                              registry=registry)
        self.refused = Counter("campushub_console_refused_total", "Console requests refused, by reason",
                               ["reason"], registry=registry)
        self.actions = Counter("campushub_console_actions_total", "Alarm actions from the console",
                               ["action", "outcome"], registry=registry)
        self.streams = Gauge("campushub_console_streams", "Live SSE connections", registry=registry)
        self.pushed = Counter("campushub_console_pushed_total", "SSE events written", registry=registry)


class ConsoleApp(resource.Resource):
    """The whole console as one twisted.web resource (routes below)."""

    isLeaf = True

    def __init__(self, settings: ConsoleSettings, hub, history: DeviceHistory, metrics: ConsoleMetrics) -> None:
        super().__init__()
        self.settings = settings
        self.hub = hub
        self.projection = hub.alarms
        self.journal = hub.journal
        self.registry = hub.registry
        self.history = history
        self.metrics = metrics
        self.operators = {operator.id: operator for operator in settings.operators}
        self.sessions = Sessions(settings.session_lifetime)
        self.throttle = LoginThrottle(settings.login_attempts, settings.login_window)
        self.time = HubTime(settings.time_zone)
        self.log_limit = _LogLimit()
        self.streams: set[asyncio.Task] = set()
        from console import STATIC  # (the assets' package, beside hub/)
        self.static = _load_static(STATIC)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("hub.console", "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.plans = {(plan.school_id, plan.building): plan for plan in settings.floor_plans}
        self.rows = RowCache(self.templates.get_template("_row.html").render)
        self._get = {
            "/": self.index, "/login": self.login_page, "/lang": self.language, "/alarms": self.alarms_page,
            "/alarms/rows": self.alarm_rows, "/alarm": self.alarm_page, "/alarm/panel": self.alarm_panel,
            "/alarm/snapshot": self.alarm_snapshot,
            "/devices": self.devices_page, "/devices/rows": self.device_rows, "/device": self.device_page,
            "/plans": self.plans_page, "/plan": self.plan_page, "/plan/image": self.plan_image,
            "/events": self.events,
        }
        self.reports = ReportPages(self, hub.reports) if getattr(hub, "reports", None) is not None else None
        if self.reports is not None:
            self._get.update(self.reports.routes())
        self.ledger = LedgerPages(self, hub.ledger) if getattr(hub, "ledger", None) is not None else None
        self._posts = {}
        if self.ledger is not None:
            self._get.update(self.ledger.routes())
            self._posts.update(self.ledger.posts())
        self._post = {"/login": self.login, "/logout": self.logout}
        self._actions = {"acknowledge", "comment", "assign", "shelve", "unshelve", "close"}

    # --- dispatch ---------------------------------------------------------------------------------
    def render(self, request):
        for name, value in SECURITY_HEADERS.items():
            request.setHeader(name, value)
        request.setHeader(b"Server", b"campus-hub")  # (not Twisted's version)
        task = asyncio.ensure_future(self._handle(request))
        Deferred.fromFuture(task).addErrback(lambda failure: None)
        return server.NOT_DONE_YET

    async def _handle(self, request) -> None:
        try:
            body = await self._dispatch(request)
            status, headers = 200, {}
        except Answer as answer:
            status, body, headers = answer.status, answer.body, answer.headers
        except Exception:
            log.exception("console request failed", path=request.path[:200])
            status, body, headers = 500, b"internal error", {"Content-Type": "text/plain; charset=utf-8"}
        if body is None or request.finished or request._disconnected:
            return  # (a stream finished itself)
        request.setResponseCode(status)
        request.setHeader(b"Cache-Control", headers.pop("Cache-Control", "no-store").encode())
        if not request.responseHeaders.hasHeader(b"Content-Type") and "Content-Type" not in headers:
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
        for name, value in headers.items():
            request.setHeader(name.encode(), value.encode())
        request.write(body)
        request.finish()

    async def _dispatch(self, request) -> bytes | None:
        path = request.path.decode("utf-8", "replace")
        method = request.method
        if path.startswith("/static/"):
            return self._static_file(path[len("/static/"):])
        if request.too_large:
            self._refuse("too_large", request)
            raise Answer(413, self._message(request, None, "refused", "too_large"))
        if method in (b"GET", b"HEAD"):
            handler = self._get.get(path)
            if handler is None:
                raise Answer(404, self._message(request, self._session(request), "not_found", "not_found_text"))
            return await handler(request)
        if method != b"POST":
            raise Answer(405, b"", {"Allow": "GET, POST"})
        if path == "/login":
            return await self.login(request)
        session = self._checked_post(request)
        if path == "/logout":
            return self.logout(request, session)
        action = path.removeprefix("/alarm/")
        if path.startswith("/alarm/") and action in self._actions:
            return await self.act(request, session, action)
        handler = self._posts.get(path)
        if handler is not None:
            return await handler(request, session)
        raise Answer(404, self._message(request, session, "not_found", "not_found_text"))

    def upload_limits(self) -> dict[bytes, int]:
        """Paths that take an upload and their body limit (the site's default is max_body)."""
        return self.ledger.upload_limits() if self.ledger is not None else {}

    # --- sessions and refusals ------------------------------------------------------------------
    def _session(self, request) -> Session | None:
        return self.sessions.get(cookie(request, SESSION_COOKIE))

    def _lang(self, request) -> str:
        lang = cookie(request, LANG_COOKIE)
        return lang if lang in LANGUAGES else self.settings.language

    def _refuse(self, reason: str, request, **details) -> None:
        self.metrics.refused.labels(reason).inc()
        peer = _peer(request)
        skipped = self.log_limit.allow(f"{reason}:{peer}")
        if skipped is not None:
            # (a visit before logging in is ordinary; a bad token, a foreign id or a wrong password is not)
            (log.info if reason == "no_session" else log.warning)("console request refused", reason=reason, peer=peer, path=request.path[:200].decode(
                "utf-8", "replace"), left_out=skipped, **details)

    def _required(self, request) -> Session:
        """The request's session; without one, a page goes to the login, a fragment or a stream
        is refused (401; htmx follows HX-Redirect)."""
        session = self._session(request)
        if session is not None:
            return session
        self._refuse("no_session", request)
        if request.getHeader(b"HX-Request") or request.path == b"/events":
            raise Answer(401, b"", {"HX-Redirect": "/login"})
        raise Answer(303, b"", {"Location": "/login?next=" + _quote(here(request))})

    def _checked_post(self, request) -> Session:
        session = self._session(request)
        if session is None:
            self._refuse("no_session", request)
            raise Answer(403, self._message(request, None, "refused", "csrf_refused"))
        token = (request.getHeader(b"X-CSRF-Token") or b"").decode("ascii", "replace") or field(request, "csrf")
        if not session.csrf_matches(token) or not self._same_origin(request):
            self._refuse("csrf", request, operator=session.operator.id)
            raise Answer(403, self._message(request, session, "refused", "csrf_refused"))
        return session

    @staticmethod
    def _same_origin(request) -> bool:
        return same_origin(request.getHeader(b"Origin"), request.getHeader(b"Host") or b"")

    # --- rendering --------------------------------------------------------------------------------
    def _render(self, request, session: Session | None, template: str, **values) -> bytes:
        lang = self._lang(request)
        context = dict(
            lang=lang, session=session, t=lambda key: translate(lang, key), when=self.time.format,
            iso=self.time.iso, tz_label=self.time.label(time.time()), here=here(request), page="",
            school_name=self._school_name, has_reports=self.reports is not None,
            has_ledger=self.ledger is not None,
            device_name=self._device_name, category_name=lambda name: translate_or(lang, "category_" + name, name))
        context.update(values)
        return self.templates.get_template(template).render(context).encode("utf-8")

    def _message(self, request, session, title: str, text: str, **values) -> bytes:
        lang = self._lang(request)
        if request.getHeader(b"HX-Request"):
            return self._flash(request, False, translate(lang, text).format(**values))
        return self._render(request, session, "message.html", title=translate(lang, title),
                            text=translate(lang, text).format(**values))

    def _flash(self, request, ok: bool, text: str, items: list[str] = ()) -> bytes:
        return self.templates.get_template("_flash.html").render(ok=ok, text=text, items=items).encode("utf-8")

    def _school_name(self, school: str) -> str:
        return self.settings.sites.get(school, ("", ""))[1] or school

    def _device_name(self, device: str) -> str:
        entry = self.registry.get(device)
        return (entry.spec.name or device) if entry is not None else device

    def _static_file(self, name: str) -> bytes:
        found = self.static.get(name)
        if found is None:
            raise Answer(404, b"not found", {"Content-Type": "text/plain; charset=utf-8"})
        body, content_type = found
        raise Answer(200, body, {"Content-Type": content_type, "Cache-Control": "max-age=3600"})

    # --- login ------------------------------------------------------------------------------------
    async def index(self, request) -> bytes:
        raise Answer(303, b"", {"Location": "/alarms"})

    async def login_page(self, request, message: str = "", status: int = 200) -> bytes:
        token = secrets.token_urlsafe(24)
        set_cookie(request, LOGIN_COOKIE, token, secure=self.settings.secure_cookies, max_age=3600)
        body = self._render(request, None, "login.html", login_csrf=token, message=message,
                            next=safe_next(field(request, "next", 2000)))
        if status != 200:
            raise Answer(status, body)
        return body

    async def login(self, request) -> bytes:
        lang = self._lang(request)
        form_token, cookie_token = field(request, "csrf", 200), cookie(request, LOGIN_COOKIE)
        if not form_token or not secrets.compare_digest(form_token.encode(), cookie_token.encode()):
            self._refuse("csrf", request)
            return await self.login_page(request, translate(lang, "csrf_refused"), 403)
        name, password = field(request, "username", 64).strip(), field(request, "password", 1024)
        peer = _peer(request)
        keys = (f"peer:{peer}", f"name:{name.lower()}")
        wait = self.throttle.retry_after(*keys)
        if wait > 0:
            self.metrics.logins.labels("throttled").inc()
            self._refuse("login_throttled", request, name=shown(name))
            raise Answer(429, await self.login_page(request, translate(lang, "too_many_logins").format(
                seconds=int(wait) + 1), 200), {"Retry-After": str(int(wait) + 1)})
        operator = self.operators.get(name)
        loop = asyncio.get_running_loop()
        matches = await loop.run_in_executor(None, password_matches, password,
                                             operator.password_hash if operator else None)
        if not matches:
            self.throttle.failed(*keys)
            self.metrics.logins.labels("failed").inc()
            self._refuse("login_failed", request, name=shown(name))  # (whether the name exists is not logged either)
            return await self.login_page(request, translate(lang, "bad_login"), 401)
        self.throttle.succeeded(keys[1])
        old = self._session(request)
        if old is not None:
            self.sessions.end(old)
        session = self.sessions.start(operator)
        self.metrics.logins.labels("ok").inc()
        log.info("console login", operator=operator.id, peer=peer)
        set_cookie(request, SESSION_COOKIE, session.id, secure=self.settings.secure_cookies,
                   max_age=int(self.settings.session_lifetime))
        set_cookie(request, LOGIN_COOKIE, "", secure=self.settings.secure_cookies, max_age=0)
        raise Answer(303, b"", {"Location": safe_next(field(request, "next", 2000))})

    def logout(self, request, session: Session) -> bytes:
        self.sessions.end(session)
        log.info("console logout", operator=session.operator.id, peer=_peer(request))
        set_cookie(request, SESSION_COOKIE, "", secure=self.settings.secure_cookies, max_age=0)
        raise Answer(303, b"", {"Location": "/login"})

    async def language(self, request) -> bytes:
        to = field(request, "to", 8)
        if to in LANGUAGES:
            set_cookie(request, LANG_COOKIE, to, secure=self.settings.secure_cookies, max_age=365 * 86400,
                       http_only=False)
        raise Answer(303, b"", {"Location": safe_next(field(request, "next", 2000))})

    # --- alarms -----------------------------------------------------------------------------------
    def _queue_values(self, request, session: Session, which: str, shown: int = MAX_ROWS) -> dict:
        """The queue's rows: the first ``shown`` of them, and how many are left for later (a
        page renders its first screen; the rest comes when the operator scrolls to it)."""
        operator = session.operator
        alarms = queue(self.projection.table.values(), operator.scope, operator.desk_level, which)
        lang = self._lang(request)
        may_ack = may(operator.role, "acknowledge")
        values = dict(t=lambda key: translate(lang, key), when=self.time.format, iso=self.time.iso,
                      school_name=self._school_name, has_reports=self.reports is not None,
            has_ledger=self.ledger is not None, device_name=self._device_name)
        rows = [self.rows.row(alarm, lang, may_ack, **values) for alarm in alarms[:shown]]
        return dict(rows=rows, shown=shown, later=max(0, min(len(alarms), MAX_ROWS) - shown),
                    more=max(0, len(alarms) - MAX_ROWS), which=which)

    async def alarms_page(self, request) -> bytes:
        session = self._required(request)
        which = field(request, "f", 32)
        which = which if which in FILTERS else "needs_action"
        return self._render(request, session, "alarms.html", page="alarms", filters=FILTERS,
                            revision=self.projection.position,
                            **self._queue_values(request, session, which, FIRST_SCREEN))

    async def alarm_rows(self, request) -> bytes:
        session = self._required(request)
        which = field(request, "f", 32)
        shown = field(request, "n", 6)
        shown = min(MAX_ROWS, max(FIRST_SCREEN, int(shown))) if shown.isascii() and shown.isdigit() else MAX_ROWS
        return self._render(request, session, "_rows.html", **self._queue_values(
            request, session, which if which in FILTERS else "needs_action", shown))

    def _alarm(self, request, session: Session):
        alarm_id = field(request, "id", 600)
        alarm = self.projection.get(alarm_id)
        if alarm is None or not alarm_matcher(session.operator.scope)(alarm):
            if alarm is not None:
                self._refuse("out_of_scope", request, operator=session.operator.id, alarm=shown(alarm_id))
            raise Answer(404, self._message(request, session, "not_found", "not_found_text"))
        return alarm

    async def _alarm_values(self, session: Session, alarm) -> dict:
        alarm_class = self.projection.classes_by_name.get(alarm.class_name)
        procedure = alarm_class.procedure if alarm_class else ""
        role = session.operator.role
        max_shelve = alarm_class.max_shelve if alarm_class else 8 * 3600
        return dict(
            alarm=alarm, procedure=procedure, procedure_url=procedure if _SAFE_URL.match(procedure) else "",
            streams=self._streams_for(alarm), history=await self.projection.history(alarm.id),
            snapshots=_snapshots(self.projection, alarm.id),
            may={action: may(role, action) for action in ("acknowledge", "comment", "assign", "shelve", "unshelve",
                                                          "close")},
            shelve_choices=[(s, _duration_label(s)) for s in _SHELVE_CHOICES if s <= max_shelve] or
            [(int(max_shelve), _duration_label(int(max_shelve)))])

    def _streams_for(self, alarm) -> list[tuple[str, str]]:
        """RTSP streams to look at: the alarm's device's own, else the cameras of its building."""
        entry = self.registry.get(alarm.device)
        own = entry.facts.get("stream_uri", "") if entry is not None else ""
        if _RTSP_URL.match(own):
            return [(entry.spec.name or entry.spec.id, own)]
        building = entry.spec.site.building if entry is not None else ""
        streams = []
        for other in self.registry:
            uri = other.facts.get("stream_uri", "")
            if (other.school == alarm.school and _RTSP_URL.match(uri)
                    and (not building or other.spec.site.building == building)):
                streams.append((other.spec.name or other.spec.id, uri))
        return streams[:8]

    async def alarm_page(self, request) -> bytes:
        session = self._required(request)
        alarm = self._alarm(request, session)
        return self._render(request, session, "alarm.html", page="alarms", revision=self.projection.position,
                            **await self._alarm_values(session, alarm))

    async def alarm_snapshot(self, request) -> bytes:
        """A snapshot linkage attached to an alarm in the operator's scope (none other: the
        media store is reached only through an alarm the operator may open)."""
        session = self._required(request)
        alarm = self._alarm(request, session)
        sha = field(request, "sha", 80)
        store = getattr(self.hub, "media", None)
        found = None
        if store is not None and sha in _snapshots(self.projection, alarm.id):
            found = await asyncio.get_running_loop().run_in_executor(None, store.get, sha)
        if found is None:
            raise Answer(404, b"not found", {"Content-Type": "text/plain; charset=utf-8"})
        item, body = found
        raise Answer(200, body, {"Content-Type": item.mime_type, "Cache-Control": "private, max-age=300"})

    async def alarm_panel(self, request) -> bytes:
        session = self._required(request)
        await self.caught_up(self.projection)  # (the snapshot or change the stream announced)
        alarm = self._alarm(request, session)
        return self._render(request, session, "_alarm_panel.html", **await self._alarm_values(session, alarm))

    async def act(self, request, session: Session, action: str) -> bytes:
        lang = self._lang(request)
        operator = session.operator
        alarm = self._alarm(request, session)
        if not may(operator.role, action):
            self._refuse("role", request, operator=operator.id, action=action)
            raise Answer(403, self._flash(request, False, translate(lang, "role_refused")))
        seen = field(request, "revision", 20)
        comment = field(request, "comment", 5000)
        try:
            seen_revision = int(seen)
            command = {
                "acknowledge": lambda: Acknowledge(seen_revision, comment),
                "comment": lambda: Comment(comment),
                "assign": lambda: Assign(field(request, "assignee", 200).strip()),
                "shelve": lambda: self._shelve(alarm, int(field(request, "duration", 12))),
                "unshelve": lambda: Unshelve(),
                "close": lambda: Close(Disposition(field(request, "disposition", 20))),
            }[action]()
        except ValueError:
            self.metrics.actions.labels(action, "invalid").inc()
            raise Answer(422, self._flash(request, False, translate(lang, "bad_input")))
        if alarm.revision != seen_revision:
            # (acknowledge is also checked by the state machine, against the newest decided revision)
            raise await self._stale(request, alarm, seen_revision, action)
        try:
            await self.projection.command(alarm.id, command, operator.actor, f"console:{_peer(request)}")
        except AlarmNotFound:
            raise Answer(404, self._flash(request, False, translate(lang, "not_found_text")))
        except CommandRefused as exc:
            if exc.refused.code == "stale_revision":
                raise await self._stale(request, self.projection.get(alarm.id), seen_revision, action)
            self.metrics.actions.labels(action, exc.refused.code).inc()
            raise Answer(409, self._flash(request, False, f"{translate(lang, 'refused_action')}: {exc.refused.reason}"))
        self.metrics.actions.labels(action, "ok").inc()
        log.info("console action", operator=operator.id, action=action, alarm=shown(alarm.id))
        return self._flash(request, True, translate(lang, "done_" + action))

    def _shelve(self, alarm, duration: int) -> Shelve:
        alarm_class = self.projection.classes_by_name.get(alarm.class_name)
        if duration not in _SHELVE_CHOICES and not (alarm_class and duration == int(alarm_class.max_shelve)):
            raise ValueError(duration)
        return Shelve(float(duration), alarm_class.max_shelve if alarm_class else 8 * 3600.0)

    async def _stale(self, request, alarm, seen: int, action: str) -> Answer:
        lang = self._lang(request)
        self.metrics.actions.labels(action, "stale").inc()
        items = []
        for revision, kind, actor, fields in what_changed(seen, await self.projection.history(alarm.id)):
            details = ", ".join(f"{name}: {before or '—'} → {after or '—'}" for name, (before, after) in fields.items())
            items.append(f"r{revision} {translate(lang, 'change_' + kind)} ({actor})" + (f": {details}" if details else ""))
        text = translate(lang, "stale").format(seen=seen, now=alarm.revision)
        return Answer(409, self._flash(request, False, text, items))

    # --- devices ----------------------------------------------------------------------------------
    def _schools(self, session: Session) -> list[tuple[str, str]]:
        in_place = place_matcher(session.operator.scope)
        return [(school, name or school) for school, (region, name) in sorted(self.settings.sites.items())
                if in_place(region, school, "")]

    def _school(self, request, session: Session) -> str:
        schools = self._schools(session)
        wanted = field(request, "school", 200)
        if not wanted:
            return schools[0][0] if schools else ""
        if wanted not in dict(schools):
            self._refuse("out_of_scope", request, operator=session.operator.id, school=shown(wanted))
            raise Answer(404, self._message(request, session, "not_found", "not_found_text"))
        return wanted

    def _device_view(self, entry, now: float) -> DeviceView:
        site = entry.spec.site
        return DeviceView(
            id=entry.spec.id, name=entry.spec.name or entry.spec.id, kind=entry.spec.kind, school=entry.school,
            place=" / ".join(p for p in (site.building, site.floor, site.zone) if p),
            state=_DEVICE_STATES.get(entry.state, "unknown"), since=entry.state_since, last_seen=entry.last_seen,
            reason=entry.reason, strip=strip(self.history.of(entry.spec.id), now, _HISTORY_WINDOW))

    def _devices_values(self, request, session: Session) -> dict:
        school = self._school(request, session)
        in_place = place_matcher(session.operator.scope)
        now = time.time()
        devices = [self._device_view(entry, now) for entry in self.registry
                   if entry.school == school and in_place(entry.region, entry.school, entry.spec.id)]
        devices.sort(key=lambda d: (d.state == "online", d.kind, d.id))
        return dict(school=school, devices=devices)

    async def devices_page(self, request) -> bytes:
        session = self._required(request)
        return self._render(request, session, "devices.html", page="devices", schools=self._schools(session),
                            revision=self.journal.head, **self._devices_values(request, session))

    async def device_rows(self, request) -> bytes:
        session = self._required(request)
        return self._render(request, session, "_devices.html", **self._devices_values(request, session))

    async def device_page(self, request) -> bytes:
        session = self._required(request)
        device_id = field(request, "id", 300)
        entry = self.registry.get(device_id)
        if entry is None or not place_matcher(session.operator.scope)(entry.region, entry.school, device_id):
            if entry is not None:
                self._refuse("out_of_scope", request, operator=session.operator.id, device=shown(device_id))
            raise Answer(404, self._message(request, session, "not_found", "not_found_text"))
        in_scope = alarm_matcher(session.operator.scope)
        alarms = sorted((a for a in self.projection.table.values() if a.device == device_id and in_scope(a)),
                        key=lambda a: (a.priority, -a.raised_at))
        return self._render(request, session, "device.html", page="devices", d=self._device_view(entry, time.time()),
                            alarms=alarms)

    # --- floor plans ------------------------------------------------------------------------------
    def _plans(self, session: Session):
        schools = dict(self._schools(session))
        return [plan for plan in self.settings.floor_plans if plan.school_id in schools]

    def _plan(self, request, session: Session):
        plan = self.plans.get((field(request, "school", 200), field(request, "building", 100)))
        if plan is None or plan not in self._plans(session):
            if plan is not None:
                self._refuse("out_of_scope", request, operator=session.operator.id)
            raise Answer(404, self._message(request, session, "not_found", "not_found_text"))
        return plan

    async def plans_page(self, request) -> bytes:
        session = self._required(request)
        return self._render(request, session, "plans.html", page="plans", plans=self._plans(session))

    async def plan_page(self, request) -> bytes:
        session = self._required(request)
        plan = self._plan(request, session)
        in_place = place_matcher(session.operator.scope)
        in_scope = alarm_matcher(session.operator.scope)
        alarming = {a.device for a in self.projection.table.values() if a.active and not a.acknowledged and in_scope(a)}
        markers = []
        for marker in plan.markers:
            entry = self.registry.get(marker.device)
            if entry is None or not in_place(entry.region, entry.school, marker.device):
                continue
            markers.append({"device": marker.device, "name": entry.spec.name or marker.device, "x": marker.x,
                            "y": marker.y, "state": _DEVICE_STATES.get(entry.state, "unknown"),
                            "alarm": marker.device in alarming, "href": "/device?id=" + _quote(marker.device)})
        image = f"/plan/image?school={_quote(plan.school_id)}&building={_quote(plan.building)}"
        data = {"image": image, "width": plan.width, "height": plan.height, "markers": markers}
        return self._render(request, session, "plan.html", page="plans", plan=plan, data=data,
                            revision=self.journal.head)

    async def plan_image(self, request) -> bytes:
        session = self._required(request)
        plan = self._plan(request, session)
        path = pathlib.Path(plan.image)
        body = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        raise Answer(200, body, {"Content-Type": content_type, "Cache-Control": "private, max-age=300"})

    # --- live -------------------------------------------------------------------------------------
    async def events(self, request) -> None:
        session = self._required(request)
        after = _sse.resume_position((request.getHeader(b"Last-Event-ID") or b"").decode("ascii", "replace"),
                                     field(request, "after", 20), self.journal.head)
        request.setResponseCode(200)
        request.setHeader(b"Content-Type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"Cache-Control", b"no-store")
        request.setHeader(b"X-Accel-Buffering", b"no")
        task = asyncio.current_task()
        self.streams.add(task)
        self.metrics.streams.inc()
        ended = task.cancel
        session.on_end.append(ended)
        request.notifyFinish().addBoth(lambda _: task.cancel())
        watched = self._watched(request, session)
        try:
            await _sse.stream(request.write, self.journal, after, alarm_matcher(session.operator.scope),
                              place_matcher(session.operator.scope), self.metrics.pushed.inc,
                              alive=lambda: self.sessions.get(session.id) is session, watched=watched)
        except asyncio.CancelledError:
            pass
        finally:
            self.streams.discard(task)
            self.metrics.streams.dec()
            if ended in session.on_end:
                session.on_end.remove(ended)
            if not request.finished and not request._disconnected:
                request.finish()
                if request.transport is not None:  # (a stream's connection is never reused)
                    request.transport.loseConnection()
        return None

    def _watched(self, request, session: Session) -> _sse.Watched:
        """The alarm (``?alarm=``) and ledger entry (``?hazard=``) a page shows and follows, if
        they are in the operator's scope (otherwise the stream says nothing about them)."""
        alarm_id, hazard_id = field(request, "alarm", 600), field(request, "hazard", 100)
        alarm = self.projection.get(alarm_id) if alarm_id else None
        if alarm is not None and not alarm_matcher(session.operator.scope)(alarm):
            self._refuse("out_of_scope", request, operator=session.operator.id, alarm=shown(alarm_id))
            alarm = None
        hazard = None
        if hazard_id and self.ledger is not None:
            hazard = self.ledger.visible(session, hazard_id)
            if hazard is None and self.ledger.ledger.get(hazard_id) is not None:
                self._refuse("out_of_scope", request, operator=session.operator.id, hazard=shown(hazard_id))
        return _sse.Watched(alarm.id if alarm is not None else "", hazard.id if hazard is not None else "")

    async def caught_up(self, projection) -> None:
        """Until ``projection`` reflects what the journal holds now (a live refresh comes after
        the stream read the change, and a projection follows the journal on its own), at most
        ``CATCH_UP`` seconds: a busy hub still answers, with what it has."""
        try:
            async with asyncio.timeout(CATCH_UP):
                await projection.wait_applied(self.journal.head)
        except TimeoutError:
            pass

    async def close_streams(self) -> None:
        for task in list(self.streams):
            task.cancel()
        await asyncio.gather(*self.streams, return_exceptions=True)


@dataclasses.dataclass(frozen=True)
class DeviceView:
    id: str
    name: str
    kind: str
    school: str
    place: str
    state: str
    since: float
    last_seen: float
    reason: str
    strip: list


def _snapshots(projection, alarm_id: str) -> list[str]:
    """The sha256s of the snapshots linkage attached to an alarm, in the order taken, once each."""
    found = []
    for ref in projection.media.get(alarm_id, ()):
        sha = ref.uri.removeprefix("media:")
        if ref.kind == "snapshot" and ref.uri.startswith("media:") and sha not in found:
            found.append(sha)
    return found


def _peer(request) -> str:
    address = request.getClientAddress()
    return getattr(address, "host", "") or str(address)


def _quote(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")


def _duration_label(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 and seconds % 3600 == 0 else f"{seconds // 60} min"


def _load_static(root: pathlib.Path) -> dict[str, tuple[bytes, str]]:
    """Every file under ``root``, read once: a fixed set, so a path cannot reach anything else."""
    files = {}
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".js", ".css", ".svg", ".png"):
            content_type = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                            ".svg": "image/svg+xml", ".png": "image/png"}[path.suffix]
            files[path.relative_to(root).as_posix()] = (path.read_bytes(), content_type)
    return files
