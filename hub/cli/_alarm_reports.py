"""`campus-hub audit` (every alarm and fire-panel command given, accepted or refused) and `campus-hub alarm-kpis`
(alarm KPIs per scope): read-only reports of AlarmService."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def add_commands(commands, client_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    audit = commands.add_parser("audit", help="every alarm and fire-panel command given, accepted or refused, "
                                "newest first")
    client_arguments(audit)
    audit.add_argument("--alarm", default="", metavar="ALARM_ID", help="only commands on this alarm")
    audit.add_argument("--principal", default="", metavar="SUBSCRIBER_ID", help="only this principal's commands")
    audit.add_argument("--refused", action="store_true", help="only refused commands")
    audit.add_argument("--limit", type=int, default=100, help="at most this many records (default 100)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=cmd_audit)

    kpis = commands.add_parser("alarm-kpis", help="alarm KPIs of your scope: floods, standing, chattering, "
                               "time to acknowledge ...")
    client_arguments(kpis)
    kpis.add_argument("--period", default="24h", help="counted back from now (default 24h, at most 7d)")
    kpis.add_argument("--region", action="append", default=[], metavar="PREFIX")
    kpis.add_argument("--school", action="append", default=[], metavar="SCHOOL_ID")
    kpis.add_argument("--json", action="store_true")
    kpis.set_defaults(handler=cmd_alarm_kpis)


def cmd_audit(args) -> int:
    from hub.cli._main import _print_listing

    async def fetch(client):
        found, token = [], ""
        while len(found) < args.limit:
            page = await client.alarm_call("ListAudit", alarm_id=args.alarm, principal=args.principal,
                                           refused_only=args.refused, page_size=min(1000, args.limit - len(found)),
                                           page_token=token)
            found += page.records
            token = page.next_page_token
            if not token:
                break
        return found
    return _print_listing(args, fetch, audit_table)


def audit_table(records) -> str:
    from hub.cli.render import _local_time, _table
    rows = [("TIME", "PRINCIPAL", "ROLE", "ACTION", "ALARM/PANEL", "OUTCOME", "PEER", "DETAILS")]
    for r in records:
        outcome = r.outcome if r.outcome == "accepted" else f"{r.outcome}: {r.code}"
        rows.append((_local_time(r.at), r.principal, r.role, r.action, r.alarm_id or _panel_of(r), outcome, r.peer,
                     r.details))
    return _table(rows)


def _panel_of(record) -> str:
    """The panel a panel command's record names in its details (``device=fp-3 ...``)."""
    if not record.action.startswith("panel."):
        return ""
    return next((part[len("device="):] for part in record.details.split(" ") if part.startswith("device=")), "")


def cmd_alarm_kpis(args) -> int:
    import sys

    from hub.api.grpc.client import make_filter
    from hub.cli._main import _print_listing
    from hub.config.units import parse_duration
    try:
        period = round(parse_duration(args.period))
    except ValueError as exc:
        print(f"--period: {exc}", file=sys.stderr)
        return 2

    async def fetch(client):
        return [await client.alarm_call("GetAlarmKpis", period_seconds=period,
                                        filter=make_filter(regions=args.region, schools=args.school))]
    return _print_listing(args, fetch, kpis_text)


def kpis_text(found) -> str:
    [k] = found
    hours = k.period_seconds / 3600
    lines = [
        f"period                  {hours:g} h",
        f"activations             {k.activations} ({k.activations_per_hour:.1f} per hour)",
        f"floods (>10 in 10 min)  {k.floods}{'  IN FLOOD NOW' if k.in_flood else ''}",
        f"standing (> 24 h)       {k.standing}",
        f"chattering              {k.chattering}",
        f"time to acknowledge     p50 {k.time_to_acknowledge_p50_seconds:.1f} s, "
        f"p95 {k.time_to_acknowledge_p95_seconds:.1f} s ({k.acknowledgements} acknowledgements)",
        "unacknowledged          " + ", ".join(f"P{u.priority}: {u.count}" for u in k.unacknowledged),
    ]
    return "\n".join(lines)
