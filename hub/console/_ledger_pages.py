"""The hazard ledger board (隐患台账): the list with its filters, an entry with its history and
photos, the 登记 form for a new entry (hub.console._hazard_form), and the actions the ledger
service allows the operator's role (hub.ledger._rights).
Every action is a command to :class:`hub.ledger.LedgerProjection`, the same journaled path
LedgerService takes, with the operator as actor; an entry outside the scope answers 404."""
from __future__ import annotations

import asyncio
import datetime as dt

import structlog

from hub.access import shown
from hub.console._hazard_form import LIMITS, LONGEST_DAYS, Place, places, read_form
from hub.console._http import Answer, field, quote
from hub.console._i18n import translate, translate_or
from hub.console._views import place_matcher
from hub.ledger import (
    GRADES, STATES, Comment, HazardNotFound, HazardRefused, Move, PhotoRef, PhotoRejected, RegistrationRefused,
    Supervise, allowed_moves, may_ledger, supervises_from_above,
)

log = structlog.get_logger("console")

#: Most entries the board lists (the count above says how many match).
MAX_ENTRIES = 1000
MAX_TEXT = 4000


def _chosen(entries, in_place, now: float, state: str, grade: str, overdue: bool, supervised: bool) -> list:
    """The entries of the filters in scope, as ListHazards orders them: open first, earliest deadline."""
    chosen = [h for h in entries
              if (not state or h.state == state) and (not grade or h.grade == grade)
              and (not overdue or h.past_deadline(now)) and (not supervised or h.supervised)
              and in_place(h.region, h.school, h.device)]
    chosen.sort(key=lambda h: (h.closed, h.deadline, h.id))
    return chosen


class LedgerPages:
    def __init__(self, app, ledger) -> None:
        self.app = app
        self.ledger = ledger

    def routes(self) -> dict:
        return {"/ledger": self.board, "/hazard": self.entry, "/hazard/panel": self.panel,
                "/hazard/photo": self.photo, "/hazard/new": self.new_form}

    def posts(self) -> dict:
        return {"/hazard/move": self.move, "/hazard/comment": self.comment, "/hazard/supervise": self.supervise,
                "/hazard/photo": self.add_photo, "/hazard/register": self.register}

    def upload_limits(self) -> dict[bytes, int]:
        # (a photo the ledger accepts, plus the form around it)
        return {b"/hazard/photo": self.ledger.settings.photo_max_bytes + 65536}

    # --- reading ------------------------------------------------------------------------------
    async def board(self, request) -> bytes:
        app = self.app
        session = app._required(request)
        state, grade = field(request, "state", 24), field(request, "grade", 12)
        state, grade = (state if state in STATES else ""), (grade if grade in GRADES else "")
        overdue, supervised = field(request, "overdue", 2) == "1", field(request, "supervised", 2) == "1"
        now = self.ledger.clock()
        chosen = _chosen(self.ledger.entries(), place_matcher(session.operator.scope), now, state, grade, overdue,
                         supervised)
        return app._render(request, session, "ledger.html", page="ledger", entries=chosen[:MAX_ENTRIES],
                           total=len(chosen), state=state, grade=grade, overdue=overdue, supervised=supervised,
                           states=STATES, grades=GRADES, now=now, revision=app.journal.head,
                           may_register=may_ledger(session.operator.role, "register"))

    def visible(self, session, hazard_id: str):
        """The entry if it is in the operator's scope, else None."""
        hazard = self.ledger.get(hazard_id)
        if hazard is None or not place_matcher(session.operator.scope)(hazard.region, hazard.school, hazard.device):
            return None
        return hazard

    def _hazard(self, request, session):
        hazard_id = field(request, "id", 100)
        hazard = self.visible(session, hazard_id)
        if hazard is None:
            if self.ledger.get(hazard_id) is not None:
                self.app._refuse("out_of_scope", request, operator=session.operator.id, hazard=shown(hazard_id))
            raise Answer(404, self.app._message(request, session, "not_found", "not_found_text"))
        return hazard

    async def _values(self, session, hazard) -> dict:
        operator = session.operator
        role = operator.role
        moves = [to for to in allowed_moves(hazard)
                 if may_ledger(role, "close" if to == "closed" else "move")]
        photos = [PhotoRef.parse(text) for text in hazard.photos.split(",") if text]
        return dict(h=hazard, history=list(reversed(await self.ledger.history(hazard.id))), moves=moves,
                    photos=photos, now=self.ledger.clock(), may_comment=may_ledger(role, "comment"),
                    may_photo=may_ledger(role, "photo") and not hazard.closed,
                    may_supervise=(may_ledger(role, "supervise") and not hazard.closed
                                   and supervises_from_above(operator.scope, hazard)))

    async def entry(self, request) -> bytes:
        session = self.app._required(request)
        hazard = self._hazard(request, session)
        # (the stream starts where the ledger shown is: a change after it comes live)
        return self.app._render(request, session, "hazard.html", page="ledger", revision=self.ledger.position,
                                **await self._values(session, hazard))

    async def panel(self, request) -> bytes:
        session = self.app._required(request)
        await self.app.caught_up(self.ledger)  # (the change the stream announced)
        hazard = self._hazard(request, session)
        return self.app._render(request, session, "_hazard_panel.html", **await self._values(session, hazard))

    async def photo(self, request) -> bytes:
        session = self.app._required(request)
        hazard = self._hazard(request, session)
        wanted = field(request, "photo", 80)
        for text in filter(None, hazard.photos.split(",")):
            ref = PhotoRef.parse(text)
            if ref.id == wanted:
                body = await asyncio.get_running_loop().run_in_executor(None, self.ledger.photos.get, ref)
                raise Answer(200, body, {"Content-Type": ref.mime_type, "Cache-Control": "private, max-age=300"})
        raise Answer(404, b"not found", {"Content-Type": "text/plain; charset=utf-8"})

    # --- registering ----------------------------------------------------------------------------
    def _places(self, session) -> list[Place]:
        """The schools of the operator's scope and the buildings the hub's devices name there."""
        in_place = place_matcher(session.operator.scope)
        schools = self.app._schools(session)
        wanted = dict(schools)
        buildings: dict[str, set[str]] = {}
        for entry in self.app.registry:
            building = entry.spec.site.building
            if building and entry.school in wanted and in_place(entry.region, entry.school, entry.spec.id):
                buildings.setdefault(entry.school, set()).add(building)
        return places(schools, buildings)

    async def new_form(self, request) -> bytes:
        session = self.app._required(request)
        if not may_ledger(session.operator.role, "register"):
            self.app._refuse("role", request, operator=session.operator.id, action="ledger:register")
            raise Answer(403, self.app._message(request, session, "refused", "role_refused"))
        lang = self.app._lang(request)
        today = self.app.time.day(self.ledger.clock())
        categories = [(name, translate_or(lang, "category_" + name, name)) for name in self.ledger.settings.categories]
        return self.app._render(request, session, "hazard_new.html", page="ledger", places=self._places(session),
                                categories=categories, grades=GRADES, limits=LIMITS, today=today.isoformat(),
                                last_day=(today + dt.timedelta(days=LONGEST_DAYS)).isoformat())

    async def register(self, request, session) -> bytes:
        self._may(request, session, "register")
        app, lang = self.app, self.app._lang(request)
        now = self.ledger.clock()
        today = app.time.day(now)
        filled = read_form(lambda name, limit: field(request, name, limit), self._places(session),
                           {school: region for school, (region, _) in app.settings.sites.items()},
                           tuple(self.ledger.settings.categories), app.time.end_of_day, today,
                           today + dt.timedelta(days=LONGEST_DAYS))
        if filled.hazard is None:
            app.metrics.actions.labels("ledger_register", "invalid").inc()
            app._refuse("bad_input", request, operator=session.operator.id, action="ledger:register",
                        fields=",".join(name for name, _, _ in filled.problems))
            items = [f"{translate(lang, 'field_' + name)}: {translate(lang, key).format(**values)}"
                     for name, key, values in filled.problems]
            raise Answer(422, app._flash(request, False, translate(lang, "register_refused"), items))
        try:
            hazard = await self.ledger.register(filled.hazard, session.operator.actor,
                                                f"console:{request.getClientAddress().host}")
        except RegistrationRefused as exc:  # (what the form did not catch: the ledger's own word)
            app.metrics.actions.labels("ledger_register", "refused").inc()
            app._refuse("bad_input", request, operator=session.operator.id, action="ledger:register")
            raise Answer(422, app._flash(request, False, translate(lang, "register_refused"), [str(exc)]))
        app.metrics.actions.labels("ledger_register", "ok").inc()
        log.info("console ledger action", operator=session.operator.id, action="register", hazard=hazard.id,
                 grade=hazard.grade, school=hazard.school)
        target = "/hazard?id=" + quote(hazard.id)
        if request.getHeader(b"HX-Request"):
            raise Answer(200, self._flash(request, True, translate(lang, "done_ledger_register")),
                         {"HX-Redirect": target})
        raise Answer(303, b"", {"Location": target})

    # --- acting -------------------------------------------------------------------------------
    def _text(self, request, name: str) -> str:
        text = field(request, name, MAX_TEXT + 1)
        if len(text) > MAX_TEXT:
            raise Answer(422, self._flash(request, False, translate(self.app._lang(request), "bad_input")))
        return text

    def _flash(self, request, ok: bool, text: str) -> bytes:
        return self.app._flash(request, ok, text)

    def _may(self, request, session, action: str) -> None:
        if not may_ledger(session.operator.role, action):
            self.app._refuse("role", request, operator=session.operator.id, action=f"ledger:{action}")
            raise Answer(403, self._flash(request, False, translate(self.app._lang(request), "role_refused")))

    async def _command(self, request, session, hazard, command, done: str) -> bytes:
        lang = self.app._lang(request)
        try:
            await self.ledger.command(hazard.id, command, session.operator.actor,
                                      f"console:{request.getClientAddress().host}")
        except HazardNotFound:
            raise Answer(404, self._flash(request, False, translate(lang, "not_found_text")))
        except HazardRefused as exc:
            self.app.metrics.actions.labels(f"ledger_{done}", exc.refused.code).inc()
            raise Answer(409, self._flash(request, False, f"{translate(lang, 'refused_action')}: {exc.refused.reason}"))
        self.app.metrics.actions.labels(f"ledger_{done}", "ok").inc()
        log.info("console ledger action", operator=session.operator.id, action=done, hazard=shown(hazard.id))
        # (the entry's panel refreshes itself on this event: the ledger's changes are not on the live stream)
        raise Answer(200, self._flash(request, True, translate(lang, "done_ledger_" + done)),
                     {"HX-Trigger": "ledger-changed"})

    async def move(self, request, session) -> bytes:
        hazard = self._hazard(request, session)
        to = field(request, "to", 24)
        if to not in STATES:
            raise Answer(422, self._flash(request, False, translate(self.app._lang(request), "bad_input")))
        self._may(request, session, "close" if to == "closed" else "move")
        seen = field(request, "revision", 12)
        if not (seen.isascii() and seen.isdigit()):
            raise Answer(422, self._flash(request, False, translate(self.app._lang(request), "bad_input")))
        # (the revision the operator saw: a stale move is refused by the ledger, saying so)
        return await self._command(request, session, hazard, Move(to, self._text(request, "comment"), int(seen)),
                                   "move")

    async def comment(self, request, session) -> bytes:
        hazard = self._hazard(request, session)
        self._may(request, session, "comment")
        return await self._command(request, session, hazard, Comment(self._text(request, "comment")), "comment")

    async def add_photo(self, request, session) -> bytes:
        hazard = self._hazard(request, session)
        self._may(request, session, "photo")
        lang = self.app._lang(request)
        data = (request.args.get(b"photo") or [b""])[0]
        try:
            await self.ledger.add_photo(hazard.id, data, session.operator.actor, self._text(request, "comment"),
                                        f"console:{request.getClientAddress().host}")
        except PhotoRejected as exc:
            self.app.metrics.actions.labels("ledger_photo", "rejected").inc()
            raise Answer(422, self._flash(request, False, f"{translate(lang, 'photo_rejected')}: {exc}"))
        except HazardRefused as exc:
            raise Answer(409, self._flash(request, False, f"{translate(lang, 'refused_action')}: {exc.refused.reason}"))
        self.app.metrics.actions.labels("ledger_photo", "ok").inc()
        log.info("console ledger action", operator=session.operator.id, action="photo", hazard=shown(hazard.id))
        raise Answer(200, self._flash(request, True, translate(lang, "done_ledger_photo")),
                     {"HX-Trigger": "ledger-changed"})

    async def supervise(self, request, session) -> bytes:
        hazard = self._hazard(request, session)
        self._may(request, session, "supervise")
        if not supervises_from_above(session.operator.scope, hazard):
            self.app._refuse("level", request, operator=session.operator.id, hazard=shown(hazard.id))
            raise Answer(403, self._flash(request, False, translate(self.app._lang(request), "supervise_level")))
        on = field(request, "on", 2) == "1"
        return await self._command(request, session, hazard,
                                   Supervise(on, session.operator.id, self._text(request, "comment")), "supervise")


__all__ = ["LedgerPages", "MAX_ENTRIES"]
