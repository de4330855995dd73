"""``campus-hub rules test RULES.yaml --config hub.yaml --from ... --to ...``: replay the journal
through candidate rules and print what each would have done, touching no device.

The journal is read read-only (a running hub is not disturbed); events are fed to a linkage engine
whose actions only say what they would do, in journal order, with each event's own time as the
engine's clock (so schedules and throttles decide as they would have then).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import sqlite3
import sys
import zoneinfo

__all__ = ["add_rules_commands"]


def add_rules_commands(commands) -> None:
    rules = commands.add_parser("rules", help="linkage rules: try candidates against the journal")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="replay the journal through RULES.yaml and print what each rule would do")
    test.add_argument("rules_file", metavar="RULES.yaml", help="a YAML file with rules: (as linkage.rule_files)")
    test.add_argument("-c", "--config", required=True, metavar="FILE",
                      help="the hub config: its journal, coverage and time zone")
    test.add_argument("--from", dest="start", metavar="TIME", help="ISO time (hub time zone unless given; "
                      "default: 24 h before --to)")
    test.add_argument("--to", dest="end", metavar="TIME", help="ISO time (default: now)")
    test.set_defaults(handler=cmd_rules_test)


def _references(config_path: str, rules_path: str) -> list:
    """The candidates' cameras, devices, classes and schools the hub config lacks (as a rule file
    of that config would be checked)."""
    from hub.config.linkage_references import check_rule_file_references
    from hub.config.source import parse_yaml, read_yaml_file

    text, _ = read_yaml_file(config_path)
    doc, _ = parse_yaml(text, config_path) if text is not None else (None, [])
    return check_rule_file_references(doc, rules_path) if doc is not None else []


def _epoch(text: str, zone: zoneinfo.ZoneInfo) -> float:
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"campus-hub rules test: {text!r} is not an ISO time like 2026-12-01T08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def cmd_rules_test(args) -> int:
    import hub.config
    from hub.config.linkage import load_rules_file

    try:
        config = hub.config.load(args.config)
    except hub.config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    candidates, problems = load_rules_file(args.rules_file)
    if not problems and candidates is not None:
        problems = _references(args.config, args.rules_file)
    if problems or candidates is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    zone = zoneinfo.ZoneInfo(config.linkage.time_zone)
    end = _epoch(args.end, zone) if args.end else _dt.datetime.now(zone).timestamp()
    start = _epoch(args.start, zone) if args.start else end - 86400
    rules = [rule.to_rule(config.linkage.time_zone, args.rules_file) for rule in candidates.rules]
    return asyncio.run(_replay(str(config.journal.path), rules, config.linkage.engine_coverage(), start, end, zone))


async def _replay(journal_path: str, rules, coverage, start: float, end: float, zone) -> int:
    from hub.journal import Entry
    from hub.journal._schema import SELECT
    from hub.linkage import DryRunActions, LinkageEngine

    try:
        db = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        print(f"campus-hub rules test: cannot open the journal {journal_path}: {exc}", file=sys.stderr)
        return 2
    now = [start]
    said = []

    def say(event, _adapter):
        attributes = event.attributes
        phase = event.type.rsplit(".", 1)[1]
        if event.type.startswith("linkage.action.") and phase != "started":
            when = _dt.datetime.fromtimestamp(now[0], zone).isoformat(timespec="seconds")
            what = attributes.get("would") or attributes.get("reason") or attributes.get("raised", "")
            line = (f"{when}  #{attributes.get('trigger_sequence')}  {attributes.get('rule')}: "
                    f"{attributes.get('action')} {attributes.get('target', '')} {phase}: {what}")
            said.append(line)
            print(line)
        elif not event.type.startswith("linkage."):
            print(f"  (would raise {event.type} at {event.site.school_id} {event.site.zone})")
        return None

    engine = LinkageEngine(rules, coverage, DryRunActions(), say, clock=lambda: now[0], schedule_stops=False)
    events = 0
    try:
        rows = db.execute(SELECT + "WHERE received_at >= ? AND received_at < ? ORDER BY seq", (start, end))
        for row in rows:
            entry = Entry(*row)
            now[0] = entry.received_at
            events += 1
            accepted = engine.consider(entry)
            if accepted:
                await asyncio.gather(*accepted)
                await engine.drain()
    except sqlite3.Error as exc:
        print(f"campus-hub rules test: cannot read the journal {journal_path}: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"{events} events replayed, {len(said)} actions would have run "
          f"({engine.counts['throttled']} throttled, {engine.counts['outside_schedule']} outside their schedule)")
    return 0
