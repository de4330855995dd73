"""`campus-hub report ...` and `campus-hub ledger ...`: reports and the hazard ledger from the
terminal, as tables, JSON lines, CSV or XLSX (Chinese headers; --english for English)."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

LEVELS = ("province", "city", "county", "school")
STATES = ("registered", "rectifying", "awaiting_acceptance", "closed")


def _when(text: str) -> float:
    """An ISO date or time (naive = China time, UTC+8) as epoch seconds."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or time like 2026-12-01 or "
                                         "2026-12-01T08:00+08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return value.timestamp()


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json", "csv", "xlsx"), default="table")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here (csv and xlsx; default: stdout for csv)")
    parser.add_argument("--english", action="store_true", help="English column headers")


def add_commands(commands, client_arguments) -> None:
    report = commands.add_parser("report", help="联网率/在线率 and test-compliance reports")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    connectivity = kinds.add_parser("connectivity", help="inventory, networked, online, 联网率, 在线率 per place")
    for parser in (connectivity,):
        parser.add_argument("--start", type=_when, help="window start (ISO; default: now minus the lookback)")
        parser.add_argument("--end", type=_when, help="window end (ISO)")
        parser.add_argument("--class", dest="device_class", action="append", default=[],
                            help="panic, video, fire, network, power, access, other (repeatable)")
        parser.add_argument("--level", action="append", default=[], choices=LEVELS)
    compliance = kinds.add_parser("compliance", help="一键报警完好率, fire-panel tests, false alarms")
    compliance.add_argument("--at", type=_when, help="as of (ISO; default now)")
    for parser in (connectivity, compliance):
        parser.add_argument("--region", action="append", default=[], help="region prefix (repeatable)")
        parser.add_argument("--school", action="append", default=[], help="school id (repeatable)")
        _output_arguments(parser)
        client_arguments(parser)
    report.set_defaults(handler=cmd_report)

    ledger = commands.add_parser("ledger", help="the hazard ledger (隐患台账)")
    actions = ledger.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="entries, most pressing first")
    listing.add_argument("--state", action="append", default=[], choices=STATES)
    listing.add_argument("--grade", action="append", default=[], choices=("general", "major"))
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--supervised", action="store_true")
    listing.add_argument("--region", action="append", default=[])
    listing.add_argument("--school", action="append", default=[])
    _output_arguments(listing)
    register = actions.add_parser("register", help="register a hazard found by an inspection")
    register.add_argument("--grade", choices=("general", "major"), required=True)
    register.add_argument("--category", required=True)
    register.add_argument("--school", required=True)
    register.add_argument("--description", required=True)
    register.add_argument("--location", default="")
    register.add_argument("--responsible", default="")
    register.add_argument("--deadline", type=_when)
    register.add_argument("--photo", action="append", default=[], metavar="FILE", help="JPEG or PNG (repeatable)")
    for name in ("measures", "funds", "people", "contingency"):
        register.add_argument(f"--plan-{name}", default="", help=f"五落实: {name} (重大 entries)")
    register.add_argument("--plan-deadline", type=_when)
    move = actions.add_parser("move", help="move an entry: rectifying, awaiting_acceptance, closed")
    move.add_argument("hazard_id")
    move.add_argument("--to", choices=STATES[1:], required=True)
    move.add_argument("--comment", default="")
    supervise = actions.add_parser("supervise", help="挂牌督办 (a higher level)")
    supervise.add_argument("hazard_id")
    supervise.add_argument("--lift", action="store_true")
    supervise.add_argument("--comment", default="")
    comment = actions.add_parser("comment", help="add a comment to an entry")
    comment.add_argument("hazard_id")
    comment.add_argument("text")
    photo = actions.add_parser("photo", help="add a photo to an entry (JPEG or PNG), or fetch one with --get")
    photo.add_argument("hazard_id")
    photo.add_argument("file", help="the photo to add; with --get, where to write the fetched one")
    photo.add_argument("--comment", default="")
    photo.add_argument("--get", metavar="PHOTO_ID", help="fetch this photo of the entry into FILE instead")
    history = actions.add_parser("history", help="every change of an entry, oldest first, with actor and comment")
    history.add_argument("hazard_id")
    history.add_argument("--format", choices=("table", "json"), default="table")
    stats = actions.add_parser("stats", help="quarterly or yearly statistics per place")
    stats.add_argument("--year", type=int, required=True)
    stats.add_argument("--quarter", type=int, default=0, help="1..4 (default: the whole year)")
    stats.add_argument("--level", choices=LEVELS, default="county")
    _output_arguments(stats)
    for parser in (listing, register, move, supervise, comment, photo, history, stats):
        client_arguments(parser)
    ledger.set_defaults(handler=cmd_ledger)


def _filter(args):
    from hub.api.grpc.client import make_filter
    return make_filter(regions=args.region, schools=args.school)


def _timestamp(at: float):
    from google.protobuf.timestamp_pb2 import Timestamp

    from hub.events import set_timestamp
    stamp = Timestamp()
    set_timestamp(stamp, at)
    return stamp


def _iso(stamp) -> str:
    if not stamp.seconds:
        return ""
    return dt.datetime.fromtimestamp(stamp.seconds, dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


def _call(args, name: str, service: str = "report", **fields):
    import grpc

    from hub.api.grpc.client import HubClient
    if not args.token:
        print("a token is needed: --token TOKEN or CAMPUSHUB_TOKEN=... (see campus-hub hash-token)", file=sys.stderr)
        return None

    async def run():
        async with HubClient(args.target, args.token, ca_file=args.ca) as client:
            call = client.report_call if service == "report" else client.ledger_call
            return await call(name, **fields)
    try:
        return asyncio.run(run())
    except grpc.aio.AioRpcError as exc:
        print(f"{args.target}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return None


def _emit(args, columns, rows: list[dict], sheet: str) -> int:
    from hub.reports._export import headers, to_csv, to_xlsx
    if args.format in ("csv", "xlsx"):
        data = to_csv(columns, rows, args.english) if args.format == "csv" else to_xlsx(columns, rows, args.english,
                                                                                          sheet)
        if args.output:
            with open(args.output, "wb") as out:
                out.write(data)
        elif args.format == "csv":
            sys.stdout.buffer.write(data)
        else:
            print("--format xlsx needs --output FILE", file=sys.stderr)
            return 2
        return 0
    if args.format == "json":
        import json
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    names = headers(columns, args.english)
    table = [names] + [[_cell(key, row.get(key, "")) for key, _, _ in columns] for row in rows]
    widths = [max(_width(line[i]) for line in table) for i in range(len(names))]
    for line in table:
        print("  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(line, widths)).rstrip())
    return 0


def _cell(key: str, value) -> str:
    """A rate (a column named ``*_rate``) as a percentage, any other number as itself."""
    if isinstance(value, float):
        return f"{value:.1%}" if key.endswith("_rate") else f"{value:.1f}"
    return str(value)


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cmd_report(args) -> int:
    from campushub.v1 import report_service_pb2 as pb
    from hub.reports._export import CONNECTIVITY_COLUMNS, PANIC_COLUMNS
    if args.report == "connectivity":
        fields = {"filter": _filter(args), "device_classes": args.device_class,
                  "levels": [pb.ReportLevel.Value(f"REPORT_LEVEL_{level.upper()}") for level in args.level]}
        if args.start is not None or args.end is not None:
            if args.start is None or args.end is None:
                print("give both --start and --end, or neither (a report for now)", file=sys.stderr)
                return 2
            fields.update(start=_timestamp(args.start), end=_timestamp(args.end))
        response = _call(args, "GetConnectivityReport", **fields)
        if response is None:
            return 1
        rows = [{"level": pb.ReportLevel.Name(r.level).removeprefix("REPORT_LEVEL_").lower(), "code": r.code,
                 "name": r.name, "device_class": r.device_class, "inventory": r.inventory, "networked": r.networked,
                 "online": r.online, "networked_rate": round(r.networked_rate, 4),
                 "online_rate": round(r.online_rate, 4)} for r in response.rows]
        if args.format == "table":
            print(f"{_iso(response.start)} – {_iso(response.end)} (UTC+8), journal position "
                  f"{response.journal_position}")
        return _emit(args, CONNECTIVITY_COLUMNS, rows, "联网率")
    fields = {"filter": _filter(args)}
    if args.at is not None:
        fields["at"] = _timestamp(args.at)
    response = _call(args, "GetComplianceReport", **fields)
    if response is None:
        return 1
    rows = [{"device_id": t.device_id, "school_id": t.school_id, "region_code": t.region_code,
             "passed": "是" if t.passed else "否", "last_test_at": _iso(t.last_test_at),
             "last_delay_seconds": round(t.last_delay_seconds, 2), "reason": t.reason} for t in response.panic_tests]
    if args.format == "table":
        print(f"一键报警完好率 {response.panic_intact_rate:.1%} ({response.panic_passed}/{response.panic_devices})")
        missed = [f for f in response.fire_tests if not f.passed]
        print(f"fire panels short of {response.fire_tests[0].required if response.fire_tests else 0} test "
              f"transmissions this month: {len(missed)} of {len(response.fire_tests)}")
        for day in response.false_alarm_days:
            print(f"false alarms: {day.device_id} ({day.school_id}) {day.false_alarms} on {day.day}")
        rows = [row for row in rows if row["passed"] == "否"]
    return _emit(args, PANIC_COLUMNS, rows, "一键报警")


def cmd_ledger(args) -> int:
    from campushub.v1 import ledger_service_pb2 as pb
    from campushub.v1 import report_service_pb2 as report_pb
    from hub.reports._export import HAZARD_COLUMNS, STATISTICS_COLUMNS
    grades = {"general": pb.HAZARD_GRADE_GENERAL, "major": pb.HAZARD_GRADE_MAJOR}
    states = {name: pb.HazardState.Value(f"HAZARD_STATE_{name.upper()}") for name in STATES}
    if args.action == "list":
        found, token = [], ""
        while True:
            page = _call(args, "ListHazards", "ledger", filter=_filter(args), states=[states[s] for s in args.state],
                         grades=[grades[g] for g in args.grade], overdue_only=args.overdue,
                         supervised_only=args.supervised, page_size=1000, page_token=token)
            if page is None:
                return 1
            found += page.hazards
            token = page.next_page_token
            if not token:
                break
        return _emit(args, HAZARD_COLUMNS, [_hazard_row(h) for h in found], "隐患台账")
    if args.action == "stats":
        response = _call(args, "GetHazardStatistics", "ledger", year=args.year, quarter=args.quarter,
                         level=report_pb.ReportLevel.Value(f"REPORT_LEVEL_{args.level.upper()}"))
        if response is None:
            return 1
        rows = [{"code": p.code, "name": p.name, "registered": p.registered, "general": p.general, "major": p.major,
                 "state_closed": p.state_closed, "open": p.registered - p.state_closed, "overdue": p.overdue,
                 "on_time_rate": round(p.on_time_rate, 4), "mean_rectify_days": round(p.mean_rectify_seconds / 86400,
                                                                                      2)}
                for p in response.places]
        return _emit(args, STATISTICS_COLUMNS, rows, "统计")
    if args.action == "register":
        photos = []
        for path in args.photo:
            with open(path, "rb") as photo:
                photos.append(photo.read())
        plan = pb.RectificationPlan(measures=args.plan_measures, funds=args.plan_funds, people=args.plan_people,
                                    contingency=args.plan_contingency)
        if args.plan_deadline:
            plan.deadline.CopyFrom(_timestamp(args.plan_deadline))
        fields = dict(grade=grades[args.grade], category=args.category, school_id=args.school,
                      description=args.description, location=args.location, responsible=args.responsible,
                      plan=plan, photos=photos)
        if args.deadline:
            fields["deadline"] = _timestamp(args.deadline)
        response = _call(args, "RegisterHazard", "ledger", **fields)
    elif args.action == "history":
        return _history(args)
    elif args.action == "comment":
        response = _call(args, "CommentHazard", "ledger", hazard_id=args.hazard_id, comment=args.text)
    elif args.action == "photo" and args.get:
        response = _call(args, "GetHazardPhoto", "ledger", hazard_id=args.hazard_id, photo_id=args.get)
        if response is None:
            return 1
        with open(args.file, "wb") as out:
            out.write(response.photo)
        print(f"{args.file}: {response.mime_type}, {len(response.photo)} bytes")
        return 0
    elif args.action == "photo":
        try:
            with open(args.file, "rb") as photo:
                data = photo.read()
        except OSError as exc:
            print(f"{args.file}: {exc.strerror}", file=sys.stderr)
            return 2
        response = _call(args, "AttachHazardPhoto", "ledger", hazard_id=args.hazard_id, photo=data,
                         comment=args.comment)
    elif args.action == "move":
        response = _call(args, "MoveHazard", "ledger", hazard_id=args.hazard_id, to=states[args.to],
                         comment=args.comment)
    else:
        response = _call(args, "SuperviseHazard", "ledger", hazard_id=args.hazard_id, supervised=not args.lift,
                         comment=args.comment)
    if response is None:
        return 1
    hazard = response.hazard
    print(f"{hazard.id}  {_hazard_row(hazard)['state']}  revision {hazard.revision}  deadline "
          f"{_iso(hazard.deadline)}")
    return 0


HISTORY_COLUMNS = [("sequence", "序号", "Sequence"), ("changed_at", "时间", "Time"), ("change", "变更", "Change"),
                   ("state", "状态", "State"), ("actor", "操作人", "Actor"), ("comment", "意见", "Comment"),
                   ("revision", "版本", "Revision")]


def _history(args) -> int:
    response = _call(args, "GetHazardHistory", "ledger", hazard_id=args.hazard_id)
    if response is None:
        return 1
    rows = [{"sequence": change.sequence, "changed_at": _iso(change.hazard.changed_at), "change": change.change,
             "state": _hazard_row(change.hazard)["state"], "actor": change.hazard.last_actor,
             "comment": change.hazard.last_comment, "revision": change.hazard.revision}
            for change in response.changes]
    args.output, args.english = None, False
    return _emit(args, HISTORY_COLUMNS, rows, "history")


def _hazard_row(hazard) -> dict:
    from hub.ledger import GRADES, STATES as STATE_NAMES
    from hub.api.grpc._ledger import GRADE_NAMES, STATE_NAMES as VALUES
    grade = GRADE_NAMES.get(hazard.grade, "")
    state = VALUES.get(hazard.state, "")
    return {"id": hazard.id, "grade": GRADES.get(grade, grade), "category": hazard.category,
            "school_id": hazard.site.school_id, "location": hazard.location, "description": hazard.description,
            "source": hazard.source, "responsible": hazard.responsible, "deadline": _iso(hazard.deadline),
            "state": STATE_NAMES.get(state, state), "supervised": "是" if hazard.supervised else "",
            "overdue": "是" if hazard.overdue else "", "registered_at": _iso(hazard.registered_at),
            "closed_at": _iso(hazard.closed_at), "last_actor": hazard.last_actor}
