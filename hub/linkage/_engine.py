"""The linkage engine: follows the journal, starts the rules an event matches, runs their actions
and journals every action's start and result.

It reads with a named :class:`hub.journal.JournalCursor` ("linkage") like every projection, and
journals through the pipeline (never the journal file itself). The cursor is committed once every
run started from the entries before it has journaled its first event, so after a crash a trigger is
run again only if it left no trace; a run whose id is already in the journal after the cursor is
not run twice (actions are idempotent by ``action_id``).

No loops: the engine never starts a rule on a LINKAGE event, nor on an event a ``raise`` action
made at depth ``MAX_DEPTH`` or more (an event raised from a raised event ...), and a rule whose
``raise`` would match its own trigger is refused when the config is loaded.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import time
from collections.abc import Callable, Sequence

import structlog
from twisted.application import service

from hub.alarms import alarm_id
from hub.events import Event, State, new_event, parse_category, parse_severity
from hub.journal import Entry, Journal, JournalCursor, RetentionExceeded
from hub.tasks import cancel_and_wait
from hub.linkage._actions import Outcome
from hub.linkage._audit import AuditSink, panel_audit_record
from hub.linkage._journaled import LINKAGE_CATEGORY, action_event
from hub.linkage._model import Action, Coverage, Rule
from hub.spi import CapabilityError

log = structlog.get_logger("linkage")

__all__ = ["LinkageEngine", "LinkageService", "CURSOR_NAME", "MAX_DEPTH", "NOTIFY_CURSOR_NAME"]

CURSOR_NAME = "linkage"
#: Before the oldest notify not yet finished: where the next start looks for notifies to resume.
NOTIFY_CURSOR_NAME = "linkage.notify"
MAX_DEPTH = 3
READ_BATCH = 500
#: Runs of one rule waiting (queued) or running at once (parallel) beyond which triggers are dropped.
MAX_RUNS = 10
_ALARM_CATEGORY = 11


@dataclasses.dataclass(frozen=True)
class Trigger:
    """The journaled event a run was started by."""

    sequence: int
    event: Event
    alarm_id: str

    @property
    def place(self):
        return self.event.site


@dataclasses.dataclass
class _Lease:
    rule: str
    priority: int
    until: float
    home: str
    token: object


class LinkageEngine:
    """Decides and runs; :class:`LinkageService` feeds it from the journal, the dry run from a
    journal range. ``submit`` journals (or, for a dry run, prints) an event; ``actions`` carries
    actions out (DeviceActions) or says what it would do (DryRunActions)."""

    def __init__(self, rules: Sequence[Rule], coverage: Coverage, actions, submit: Callable[[Event, str], object],
                 *, clock: Callable[[], float] = time.time, known_runs: set[str] | None = None,
                 metrics=None, schedule_stops: bool = True, audit: AuditSink | None = None,
                 panel_site: Callable[[str], tuple[str, str] | None] = lambda device: None) -> None:
        self.rules = tuple(rules)
        # Candidates by what is cheap to know first: alarm-class rules see only alarm changes;
        # device-event rules are looked up by the event's category (measured: with 200 rules, most
        # of an event's cost was asking every rule whether its category matched).
        self._alarm_rules = tuple(rule for rule in self.rules if rule.trigger.alarm_class)
        device_rules = [rule for rule in self.rules if not rule.trigger.alarm_class]
        self._any_category = tuple(rule for rule in device_rules if not rule.trigger.categories)
        categories = {c for rule in device_rules for c in rule.trigger.categories}
        self._by_category = {c: tuple(rule for rule in device_rules
                                      if not rule.trigger.categories or c in rule.trigger.categories)
                             for c in categories}
        #: Only raise actions correlate: without one no recent events are kept.
        self._correlates = any(a.kind == "raise" for rule in self.rules for a in rule.actions)
        self._stops_on_clear = any(a.params.get("until_clear") for rule in self.rules for a in rule.actions)
        self.coverage = coverage
        self.actions = actions
        self.submit = submit
        self.clock = clock
        self.known_runs = known_runs if known_runs is not None else set()
        self._throttled: dict[tuple[str, str, str], float] = {}
        self._running: dict[str, list[asyncio.Task]] = collections.defaultdict(list)
        self._queues: dict[str, asyncio.Task | None] = {}
        self._leases: dict[str, _Lease] = {}
        self._stops: dict[tuple[str, str], list[Callable[[], object]]] = collections.defaultdict(list)
        self._recent: collections.deque[tuple[float, Event]] = collections.deque()
        self.tasks: set[asyncio.Task] = set()
        self.counts = collections.Counter()
        #: False for a dry run: a lease's return home and a relay's stop are not waited for.
        self.schedule_stops = schedule_stops
        #: Where a panel action's audit record goes (none for a dry run), and a panel's site for it.
        self.audit, self.panel_site = audit, panel_site
        #: Notifies started and not finished: action id -> sequence of their started event (None
        #: while it is being journaled). What LinkageService's notify cursor may be committed at.
        self.open_notifies: dict[str, int | None] = {}
        #: Set by cancel() (the hub stops): a notify cut short is left open in the journal, for the
        #: next start to resume, instead of being journaled failed.
        self.stopping = False

    # --- deciding -----------------------------------------------------------------------------
    def matching(self, entry: Entry, event: Event) -> list[Rule]:
        if entry.category == LINKAGE_CATEGORY:
            return []
        if int(event.attributes.get("linkage_depth", "0") or 0) >= MAX_DEPTH:
            self.counts["depth_bounded"] += 1
            return []
        raised_by = event.attributes.get("raised_by_rule", "")
        is_alarm = entry.category == _ALARM_CATEGORY
        candidates = self._alarm_rules if is_alarm else self._by_category.get(entry.category, self._any_category)
        chosen = []
        for rule in candidates:
            trigger = rule.trigger
            if rule.id == raised_by:
                continue
            if trigger.alarm_class:
                if not (is_alarm and event.attributes.get("change") == "raised"
                        and event.attributes.get("class_name") == trigger.alarm_class):
                    continue
            elif is_alarm or event.state not in trigger.states:
                continue
            # An alarm change is matched by its device events' category and type.
            if trigger.categories and (_source_category(event) if is_alarm else entry.category) not in trigger.categories:
                continue
            type_ = event.attributes.get("type", "") if is_alarm else entry.type
            if trigger.type_prefixes and not any(type_.startswith(p) for p in trigger.type_prefixes):
                continue
            if trigger.min_severity and entry.severity < trigger.min_severity:
                continue
            if trigger.sites and not any(selector.matches(event.site) for selector in trigger.sites):
                continue
            if rule.schedule is not None and not rule.schedule.allows(entry.received_at):
                self.counts["outside_schedule"] += 1
                continue
            if rule.condition is not None and not rule.condition(event):
                continue
            chosen.append(rule)
        return chosen

    def consider(self, entry: Entry) -> list[asyncio.Future]:
        """Start every rule ``entry`` triggers; the futures settle once each run journaled its
        first event (or decided to do nothing)."""
        if not self.rules or entry.category == LINKAGE_CATEGORY:
            return []
        is_alarm = entry.category == _ALARM_CATEGORY
        if not (self._correlates or self._stops_on_clear) and not (
                self._alarm_rules if is_alarm else self._by_category.get(entry.category, self._any_category)):
            return []  # (no rule could start: the event is not even decoded)
        event = entry.event()
        if not is_alarm:
            if self._correlates:
                self._remember(entry.received_at, event)
            if self._stops_on_clear and event.state == State.STATE_CLEARED:
                self._stop_for(entry.device, entry.type)
        accepted = []
        for rule in self.matching(entry, event):
            run = f"{rule.id}@{rule.version}#{entry.seq}"
            if run in self.known_runs:
                continue
            self.known_runs.add(run)
            aid = event.attributes.get("alarm_id", "") if entry.category == _ALARM_CATEGORY else \
                alarm_id(entry.device, entry.type, event.site.zone)
            accepted.append(self._start(rule, run, Trigger(entry.seq, event, aid)))
        return accepted

    # --- modes --------------------------------------------------------------------------------
    def _start(self, rule: Rule, run: str, trigger: Trigger) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        accepted = loop.create_future()
        running = [task for task in self._running[rule.id] if not task.done()]
        self._running[rule.id] = running
        if rule.mode == "single" and running:
            self.counts["skipped_single"] += 1
            accepted.set_result(None)
            return accepted
        if rule.mode == "restart":
            for task in running:
                task.cancel()
        if len(running) >= MAX_RUNS:
            self.counts["dropped_runs"] += 1
            log.warning("linkage.too_many_runs", rule=rule.id, mode=rule.mode)
            accepted.set_result(None)
            return accepted
        before = running[-1] if rule.mode == "queued" and running else None
        task = loop.create_task(self._run(rule, run, trigger, accepted, before))
        self._running[rule.id].append(task)
        self._track(task)
        return accepted

    def _track(self, task: asyncio.Task) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, rule: Rule, run: str, trigger: Trigger, accepted: asyncio.Future,
                   before: asyncio.Task | None) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])
            for index, action in enumerate(rule.actions):
                await self._action(rule, run, index, action, trigger, accepted)
        except asyncio.CancelledError:
            self.counts["runs_cancelled"] += 1
            raise
        except Exception:
            log.exception("linkage.run_failed", rule=rule.id, run=run)
        finally:
            if not accepted.done():
                accepted.set_result(None)

    # --- actions ------------------------------------------------------------------------------
    def _targets(self, action: Action, trigger: Trigger) -> list[tuple[str, str]]:
        """(target device, the preset of its covered place) of an action."""
        if action.kind in ("snapshot", "ptz_preset"):
            found: list[tuple[str, str]] = []
            for camera in action.cameras:
                if camera == "covering":
                    found += [(cam, place.preset) for cam, place in self.coverage.covering(trigger.place)]
                else:
                    places = self.coverage.sites.get(camera, ())
                    preset = next((p.preset for p in places if p.matches(trigger.place)), "")
                    found.append((camera, action.params.get("preset", preset) or preset))
            seen, unique = set(), []
            for camera, preset in found:
                if camera not in seen:
                    seen.add(camera)
                    unique.append((camera, str(action.params.get("preset") or preset)))
            return unique[: action.max_cameras]
        return [(action.device or trigger.event.source_device_id, "")]

    async def _action(self, rule: Rule, run: str, index: int, action: Action, trigger: Trigger,
                      accepted: asyncio.Future) -> None:
        targets = self._targets(action, trigger)
        base = {"rule": rule.id, "rule_version": rule.version, "run": run, "action": action.kind,
                "trigger_sequence": str(trigger.sequence), "alarm_id": trigger.alarm_id}
        if not targets:
            reason = f"no camera covers {_place(trigger.place)}"
            await self._journal("failed", trigger.event.source_device_id,
                                {**base, "action_id": f"{run}/{index}", "reason": reason}, accepted)
            return
        jobs = []
        for target, preset in targets:
            if rule.throttle:
                key = (rule.id, action.kind, target)
                last = self._throttled.get(key)
                now = self.clock()
                if last is not None and now - last < rule.throttle:
                    self.counts["throttled"] += 1
                    continue
                self._throttled[key] = now
            attributes = {**base, "action_id": f"{run}/{index}/{target}", "target": target}
            jobs.append(self._one(rule, action, target, preset, attributes, trigger, accepted))
        if jobs:  # the targets of one action at once: two cameras' snapshots in parallel
            await asyncio.gather(*jobs)
        elif not accepted.done():
            accepted.set_result(None)

    async def _one(self, rule: Rule, action: Action, target: str, preset: str, attributes: dict, trigger: Trigger,
                   accepted: asyncio.Future) -> None:
        detail = self._describe(action, preset)
        notify = action.kind == "notify"
        action_id = attributes["action_id"]
        if notify:
            self.open_notifies[action_id] = None
        left_open = False
        try:
            started = await self._journal("started", target, {**attributes, **detail}, accepted)
            if notify:
                self.open_notifies[action_id] = started
            await self._finish(rule, action, target, preset, attributes, detail, trigger)
        except asyncio.CancelledError:
            left_open = notify and self.stopping
            raise
        finally:
            if notify and not left_open:
                self.open_notifies.pop(action_id, None)

    async def _finish(self, rule: Rule, action: Action, target: str, preset: str, attributes: dict, detail: dict,
                      trigger: Trigger) -> None:
        """Carry out a started action and journal its result (and a panel command's audit)."""
        media = ()
        try:
            async with asyncio.timeout(action.timeout):  # (not wait_for: it can swallow a stop, gh-86296)
                outcome = await self._carry_out(rule, action, target, preset, trigger, attributes)
        except TimeoutError:
            phase, result = "timed_out", {"reason": f"no result within {action.timeout:g} s"}
        except CapabilityError as exc:
            phase, result = "failed", {"reason": str(exc)[:300]}
        except asyncio.CancelledError:
            if not (self.stopping and action.kind == "notify"):  # (a stopped notify resumes at the next start)
                await asyncio.shield(self._journal("failed", target, {**attributes, **detail,
                                                                      "reason": "cancelled (rule restarted)"}))
            raise
        except Exception as exc:  # an adapter's surprise is this action's failure, nothing else's
            log.exception("linkage.action_error", rule=rule.id, action=action.kind, target=target)
            phase, result = "failed", {"reason": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            if outcome is None:
                return
            phase = outcome.detail.pop("_phase", "done")
            result, media = outcome.detail, outcome.media
        sequence = await self._journal(phase, target, {**attributes, **detail, **result}, media=media)
        if action.kind == "panel":
            await self._audit_panel(rule, target, detail["command"], phase, result.get("reason", ""), attributes,
                                    sequence)

    def resume_notify(self, rule: Rule, action: Action, started_sequence: int, started: Event,
                      trigger: Trigger) -> None:
        """Carry on with a notify a previous run of the hub started and did not finish (its
        ``started`` event, at ``started_sequence``): sent again with the same idempotency key, only
        its result is journaled (``resumed``: the sequence of the start it finishes)."""
        attributes = {**started.attributes, "resumed": str(started_sequence)}
        detail = self._describe(action, "")
        action_id = attributes["action_id"]
        self.open_notifies[action_id] = started_sequence

        async def resume() -> None:
            left_open = False
            try:
                await self._finish(rule, action, started.source_device_id, "", attributes, detail, trigger)
            except asyncio.CancelledError:
                left_open = self.stopping
                raise
            except Exception:
                log.exception("linkage.resume_failed", rule=rule.id, action_id=action_id)
            finally:
                if not left_open:
                    self.open_notifies.pop(action_id, None)
        self._track(asyncio.get_running_loop().create_task(resume()))

    def notify_low_water(self, head: int) -> int | None:
        """Where the notify cursor may be committed: before the oldest open notify's start, or
        ``head`` when none is open; None while a start is still being journaled."""
        sequences = list(self.open_notifies.values())
        if any(sequence is None for sequence in sequences):
            return None
        return min(sequences) - 1 if sequences else head

    async def _audit_panel(self, rule: Rule, panel: str, command: str, phase: str, reason: str,
                           attributes: dict, result_sequence: int) -> None:
        """A rule's panel command audited like an operator's (principal ``rule:<id>``)."""
        if self.audit is None:
            return
        record = panel_audit_record(
            principal=f"rule:{rule.id}", role="rule", peer="", device=panel, command=command, via="rule", phase=phase,
            reason=reason, site=self.panel_site(panel),
            extra={"rule_version": rule.version, "run": attributes.get("run", ""),
                   "result_sequence": str(result_sequence) if result_sequence else ""})
        await asyncio.shield(self.audit(record))

    @staticmethod
    def _describe(action: Action, preset: str) -> dict:
        params = action.params
        if action.kind == "ptz_preset":
            return {"preset": preset, "priority": str(params.get("priority", 50))}
        if action.kind == "relay":
            return {"relay": str(params.get("output", "")), "active": "true"}
        if action.kind == "panel":
            return {"command": str(params.get("command", ""))}
        if action.kind == "notify":
            return {"url": str(params.get("url", ""))}
        if action.kind == "raise":
            return {"type": str(params.get("type", ""))}
        return {}

    async def _carry_out(self, rule: Rule, action: Action, target: str, preset: str, trigger: Trigger,
                         attributes: dict) -> Outcome | None:
        params = action.params
        kind = action.kind
        if kind == "snapshot":
            return await self.actions.snapshot(target)
        if kind == "ptz_preset":
            if not preset:
                raise CapabilityError(f"no preset for {_place(trigger.place)} on {target}")
            return await self._ptz(rule, target, preset, int(params.get("priority", 50)),
                                   float(params.get("lease", 60.0)), attributes)
        if kind == "relay":
            output = str(params["output"])
            outcome = await self.actions.set_relay(target, output, True)
            self._schedule_stop(rule, target, output, float(params.get("for", 0) or 0),
                                bool(params.get("until_clear")), trigger, attributes)
            return outcome
        if kind == "panel":
            return await self.actions.panel(target, str(params["command"]), True)
        if kind == "notify":
            return await self._notify(rule, action, trigger, attributes)
        if kind == "raise":
            return self._raise(rule, action, trigger)
        raise CapabilityError(f"unknown action {kind!r}")

    async def _ptz(self, rule: Rule, camera: str, preset: str, priority: int, lease: float, attributes: dict) -> Outcome:
        now = self.clock()
        held = self._leases.get(camera)
        if held is not None and held.until > now and held.rule != rule.id and held.priority > priority:
            return Outcome({"_phase": "skipped", "reason": f"{camera} is held by rule {held.rule} at priority "
                            f"{held.priority} (this rule: {priority}) for {held.until - now:.0f} s more"})
        outcome = await self.actions.goto_preset(camera, preset)
        token = object()
        home = self.coverage.home.get(camera, "")
        self._leases[camera] = _Lease(rule.id, priority, now + lease, home, token)
        if not self.schedule_stops:
            return outcome
        task = asyncio.get_running_loop().create_task(self._release(camera, token, lease, attributes))
        self._track(task)
        return outcome

    async def _release(self, camera: str, token: object, lease: float, attributes: dict) -> None:
        await asyncio.sleep(lease)
        held = self._leases.get(camera)
        if held is None or held.token is not token:
            return  # another rule took the camera over meanwhile; its lease ends it
        del self._leases[camera]
        if not held.home:
            return
        home = {**attributes, "action": "ptz_home", "action_id": attributes["action_id"] + "/home", "preset": held.home}
        await self._journal("started", camera, home)
        try:
            await self.actions.goto_preset(camera, held.home)
        except CapabilityError as exc:
            await self._journal("failed", camera, {**home, "reason": str(exc)[:300]})
            return
        await self._journal("done", camera, home)

    def _schedule_stop(self, rule: Rule, device: str, output: str, duration: float, until_clear: bool,
                       trigger: Trigger, attributes: dict) -> None:
        if not self.schedule_stops:
            return
        stopped = asyncio.get_running_loop().create_future()
        off = {**attributes, "action": "relay_off", "action_id": attributes["action_id"] + "/off", "relay": output,
               "active": "false"}

        async def stop(after: float) -> None:
            if after:
                try:
                    async with asyncio.timeout(after):  # (not wait_for: it can swallow a stop, gh-86296)
                        await asyncio.shield(stopped)
                except TimeoutError:
                    pass
            else:
                await stopped
            await self._journal("started", device, off)
            try:
                await self.actions.set_relay(device, output, False)
            except CapabilityError as exc:
                await self._journal("failed", device, {**off, "reason": str(exc)[:300]})
                return
            await self._journal("done", device, off)

        if until_clear:
            self._stops[(trigger.event.source_device_id, trigger.event.type)].append(
                lambda: stopped.done() or stopped.set_result(None))
        self._track(asyncio.get_running_loop().create_task(stop(duration)))

    def _stop_for(self, device: str, type_: str) -> None:
        for stop in self._stops.pop((device, type_), ()):
            stop()

    async def _notify(self, rule: Rule, action: Action, trigger: Trigger, attributes: dict) -> Outcome:
        params = action.params
        event = trigger.event
        # (A notify resumed after a restart says the version that started it.)
        body = {"rule": rule.id, "rule_version": attributes.get("rule_version", rule.version),
                "action_id": attributes["action_id"],
                "alarm_id": trigger.alarm_id, "event": {
                    "sequence": trigger.sequence, "type": event.type, "device": event.source_device_id,
                    "school_id": event.site.school_id, "region_code": event.site.region_code,
                    "building": event.site.building, "floor": event.site.floor, "zone": event.site.zone,
                    "severity": event.severity, "attributes": dict(event.attributes)}}
        attempts = int(params.get("attempts", 5))
        delay = float(params.get("retry_initial", 1.0))
        last = ""
        for attempt in range(1, attempts + 1):
            try:
                outcome = await self.actions.notify(str(params["url"]), body, attributes["action_id"],
                                                    dict(params.get("headers", {})), float(params.get("request_timeout", 5.0)))
                outcome.detail["attempts"] = str(attempt)
                return outcome
            except (CapabilityError, OSError, TimeoutError, ConnectionError) as exc:
                last = str(exc) or type(exc).__name__
            except Exception as exc:  # twisted's connection errors are not OSErrors
                last = f"{type(exc).__name__}: {exc}"
            if attempt < attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        raise CapabilityError(f"not accepted after {attempts} attempts: {last}"[:300])

    # --- raise: correlation -------------------------------------------------------------------
    def _remember(self, when: float, event: Event) -> None:
        self._recent.append((when, event))
        horizon = when - 3600
        while self._recent and self._recent[0][0] < horizon:
            self._recent.popleft()

    def _raise(self, rule: Rule, action: Action, trigger: Trigger) -> Outcome:
        params = action.params
        within = float(params.get("within", 60.0))
        same = tuple(params.get("same", ("school_id",)))
        requires = tuple(params.get("requires", ()))
        count = int(params.get("count", 1))
        now = trigger.event.received_at.seconds + trigger.event.received_at.nanos / 1e9
        place = trigger.event.site
        nearby = [event for when, event in self._recent if now - within <= when <= now
                  and all(getattr(event.site, field) == getattr(place, field) for field in same)]
        missing = [prefix for prefix in requires if sum(event.type.startswith(prefix) for event in nearby) < count]
        if missing:
            return Outcome({"_phase": "skipped", "reason": f"no {', '.join(missing)} within {within:g} s at the same "
                            f"{'/'.join(same)}"})
        depth = int(trigger.event.attributes.get("linkage_depth", "0") or 0) + 1
        derived = new_event(
            device_id=trigger.event.source_device_id, type=str(params["type"]),
            category=parse_category(str(params.get("category", "system"))),
            severity=parse_severity(str(params.get("severity", "major"))), state=State.STATE_MOMENTARY,
            attributes={"raised_by_rule": rule.id, "rule_version": rule.version, "linkage_depth": str(depth),
                        "trigger_sequence": str(trigger.sequence)})
        derived.site.CopyFrom(trigger.event.site)
        self.submit(derived, "linkage")
        return Outcome({"raised": str(params["type"])})

    # --- journaling ---------------------------------------------------------------------------
    async def _journal(self, phase: str, device: str, attributes: dict, accepted: asyncio.Future | None = None,
                       media=()) -> int:
        """Journal an action's event; its sequence (0 when ``submit`` gives none: a dry run)."""
        self.counts[phase] += 1
        result = self.submit(action_event(phase, device, attributes, media), "linkage")
        try:
            if asyncio.isfuture(result):
                return int(await result or 0)
            return 0
        finally:
            if accepted is not None and not accepted.done():
                accepted.set_result(None)

    async def drain(self) -> None:
        """Until every run and scheduled stop has finished (tests, the dry run)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def cancel(self) -> None:
        self.stopping = True
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)


def _source_category(alarm_change: Event) -> int:
    try:
        return parse_category(alarm_change.attributes.get("source_category", ""))
    except ValueError:
        return 0


def _place(site) -> str:
    parts = [f"{name} {getattr(site, name)}" for name in ("school_id", "building", "floor", "zone") if getattr(site, name)]
    return ", ".join(parts) or "an unplaced event"


class LinkageService(service.Service):
    """The engine as a child of the hub's service tree, fed by the "linkage" cursor."""

    name = "linkage"

    def __init__(self, journal: Journal, engine: LinkageEngine, *, media=None, retention_interval: float = 3600.0,
                 run_blocking=None) -> None:
        self.journal = journal
        self.engine = engine
        self.media = media
        self.retention_interval = retention_interval
        self.run_blocking = run_blocking
        self._task: asyncio.Task | None = None
        self._retention: asyncio.Task | None = None
        self._notify_cursor: JournalCursor | None = None
        self.position = 0
        self._advanced = asyncio.Event()

    async def start(self) -> None:
        cursor = await JournalCursor.named(self.journal, CURSOR_NAME, create_at=self.journal.head)
        await self._known_runs(cursor.position)
        self._notify_cursor = await JournalCursor.named(self.journal, NOTIFY_CURSOR_NAME, create_at=self.journal.head)
        await self._resume_notifies(self._notify_cursor.position)
        self.position = cursor.position
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._follow(cursor))
        if self.media is not None and self.run_blocking is not None:
            self._retention = loop.create_task(self._retain_forever())
        self.startService()

    async def _known_runs(self, after: int) -> None:
        """Runs already journaled after the cursor (a crash before its commit): not run again."""
        reader = JournalCursor.at(self.journal, after)
        while entries := await reader.read(READ_BATCH):
            for entry in entries:
                if entry.category == LINKAGE_CATEGORY:
                    run = entry.event().attributes.get("run")
                    if run:
                        self.engine.known_runs.add(run)

    async def _resume_notifies(self, after: int) -> None:
        """Resume every notify started after ``after`` that has no result in the journal (the hub
        stopped, or died, while it was being tried): from its started event and its trigger's
        entry, with the rule's current settings; one whose rule no longer has it, or whose trigger
        retention deleted, is journaled failed instead."""
        started: dict[str, tuple[int, Event]] = {}
        position = after
        while True:
            entries, position = await self.journal.read_indexed_after(position, READ_BATCH)
            for entry in entries:
                if entry.category != LINKAGE_CATEGORY:
                    continue
                event = entry.event()
                if event.attributes.get("action") != "notify":
                    continue
                if entry.type == "linkage.action.started":
                    started[event.attributes.get("action_id", "")] = (entry.seq, event)
                else:
                    started.pop(event.attributes.get("action_id", ""), None)
            if len(entries) < READ_BATCH:
                break
        rules = {rule.id: rule for rule in self.engine.rules}
        for sequence, event in sorted(started.values(), key=lambda pair: pair[0]):
            await self._resume_notify(sequence, event, rules)

    async def _resume_notify(self, sequence: int, event: Event, rules: dict[str, Rule]) -> None:
        attributes = event.attributes
        rule = rules.get(attributes.get("rule", ""))
        index = attributes.get("action_id", "")[len(attributes.get("run", "")) + 1:].split("/", 1)[0]
        action = (rule.actions[int(index)] if rule is not None and index.isascii() and index.isdigit()
                  and int(index) < len(rule.actions) else None)
        trigger_sequence = attributes.get("trigger_sequence", "")
        trigger = None
        if trigger_sequence.isascii() and trigger_sequence.isdigit():
            try:
                [trigger] = await JournalCursor.at(self.journal, int(trigger_sequence) - 1).read(1) or [None]
            except RetentionExceeded:
                pass
        if action is None or action.kind != "notify":
            reason = f"not resumed after a restart: rule {attributes.get('rule', '')!r} no longer has this notify"
        elif trigger is None or trigger.seq != int(trigger_sequence):
            reason = f"not resumed after a restart: its trigger (sequence {trigger_sequence}) is no longer in the journal"
        else:
            log.info("linkage.notify_resumed", rule=rule.id, action_id=attributes.get("action_id"), started=sequence)
            self.engine.resume_notify(rule, action, sequence, event, Trigger(
                trigger.seq, trigger.event(), attributes.get("alarm_id", "")))
            return
        self.engine.counts["failed"] += 1
        await self.engine.submit(action_event("failed", event.source_device_id, {
            **attributes, "resumed": str(sequence), "reason": reason}), "linkage")

    async def _commit_notify_cursor(self) -> None:
        if self._notify_cursor is None:
            return  # (stopped before it started)
        low_water = self.engine.notify_low_water(self.journal.head)
        if low_water is not None and low_water > self._notify_cursor.position:
            self._notify_cursor.position = low_water
            await self._notify_cursor.commit()

    async def stop(self) -> None:
        self.stopService()
        await cancel_and_wait((self._retention, self._task))
        await self.engine.cancel()
        await self._commit_notify_cursor()  # (the notifies cut short stay after it)

    async def wait_beyond(self, position: int) -> None:
        while self.position <= position:
            await self._advanced.wait()

    async def _follow(self, cursor: JournalCursor) -> None:
        async for entries in cursor.batches(READ_BATCH, lost="those events triggered no linkage"):
            accepted = []
            for entry in entries:
                try:
                    accepted += self.engine.consider(entry)
                except Exception:  # one odd event must not stop linkage for the rest
                    log.exception("linkage.consider_failed", sequence=entry.seq)
            if accepted:
                await asyncio.gather(*accepted)
            await cursor.commit()
            await self._commit_notify_cursor()
            self.position = cursor.position
            advanced, self._advanced = self._advanced, asyncio.Event()
            advanced.set()

    async def _retain_forever(self) -> None:
        while True:
            try:
                deleted = await self.run_blocking(self.media.apply_retention)
                if deleted:
                    log.info("media retention", deleted=deleted)
            except Exception:
                log.exception("media retention failed; will retry")
            await asyncio.sleep(self.retention_interval)
