"""The 联网率 / 在线率 dashboard's page and its live fragment (figures: hub.console._connectivity)."""
from __future__ import annotations

from hub.access import shown
from hub.console._connectivity import WINDOWS, dashboard, parse_place
from hub.console._http import Answer, field
from hub.console._views import place_matcher
from hub.reports import ALL_CLASSES, DEVICE_CLASSES


class ReportPages:
    def __init__(self, app, projection) -> None:
        self.app = app
        self.projection = projection

    def routes(self) -> dict:
        return {"/reports": self.page, "/reports/table": self.table}

    def _values(self, request, session) -> dict:
        app = self.app
        try:
            place = parse_place(field(request, "at", 200))
        except ValueError:
            app._refuse("bad_input", request, operator=session.operator.id)
            raise Answer(404, app._message(request, session, "not_found", "not_found_text"))
        which = field(request, "w", 8)
        which = which if which in WINDOWS else next(iter(WINDOWS))
        device_class = field(request, "class", 20)
        device_class = device_class if device_class in DEVICE_CLASSES else ALL_CLASSES
        board = dashboard(self.projection, place_matcher(session.operator.scope), place, WINDOWS[which],
                          device_class)
        if board is None:
            app._refuse("out_of_scope", request, operator=session.operator.id,
                        place=shown(field(request, "at", 200)))
            raise Answer(404, app._message(request, session, "not_found", "not_found_text"))
        at = f"{board.place[0]}:{board.place[1]}" if board.place else ""
        return dict(board=board, at=at, which=which, windows=tuple(WINDOWS), device_class=device_class,
                    classes=(ALL_CLASSES, *DEVICE_CLASSES))

    async def page(self, request) -> bytes:
        session = self.app._required(request)
        return self.app._render(request, session, "reports.html", page="reports", revision=self.app.journal.head,
                                **self._values(request, session))

    async def table(self, request) -> bytes:
        session = self.app._required(request)
        return self.app._render(request, session, "_report.html", **self._values(request, session))


__all__ = ["ReportPages"]
