"""How fast Concordat alerts, side by side with its baselines, in one run.

    .venv/bin/python -m bench.speed                 # the full run, about 15 minutes
    .venv/bin/python -m bench.speed --smoke         # a few seconds of each, as CI runs it

Starts everything on embedded defaults on loopback (`bench/stack.py`: the Temporal dev server,
SQLite, `concordat worker` and `concordat web`, and an SMTP sink and the Notify catcher, each in
a process of its own), plus the bare workflow's worker (`bench/baseline.py`) against the same
server and sink. Then:

1. **Time to first alert** at a steady rate (default 10 a second for 60 s): from the API call
   that opens an incident to the first email the SMTP sink receives for it. The same for a bare
   workflow started with the Temporal client, and for a direct SMTP send. These incidents are
   category 4, which the national channel plan first pages by email alone. Then **time to first
   text**: category 3 incidents at the same rate, which page both named members by email and
   text at once; for the same incidents, the first email the sink receives and the first text
   the Notify catcher accepts, each also as a ratio to the first email and the bare workflow.
2. **Sustained throughput**, driven as fast as each accepts (a fixed number in flight):
   incidents fully processed a second, meaning opened, both named members' emails received and
   both sends written to the timeline; bare workflows completed (their email received) a
   second; direct sends a second. Every email is checked to arrive exactly once. The mean
   history length of each kind of workflow is printed too (`--profile DIR` also samples the
   worker and web process with py-spy meanwhile, see `bench/profile.py`).
3. **Replay**: an incident with 1,000 timeline events is rebuilt from its Temporal history,
   replayed against the current code, checked against the database and its hash chain, and
   printed, in process and with `concordat audit replay`.
4. **Memory**: the worker's peak resident memory with many incidents open on their timers.

Each Concordat figure is also printed as a ratio to the bare workflow's. Exits 1 if any email,
text or incident was lost or duplicated, or a replay did not check out; it asserts no timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import col, func, select
from temporalio.client import Client

from audit.rebuild import rebuild_incident
from audit.report import to_text
from bench.baseline import BareAlert, BareAlertWorkflow, send_direct
from bench.notify_sink import Text
from bench.profile import profiled, summary
from bench.smtp_sink import Arrival
from bench.stack import CONCORDAT, Stack, peak_memory_mib, resident_memory_mib
from domain.vocabulary import EventKind
from models import Incident, TimelineEvent
from runtime.payloads import PayloadKeys, data_converter
from runtime.settings import Settings

#: The two named members are told at once; nothing escalates during a run.
FIRST_EMAILS = 2
#: A category 1-3 incident also texts both named members at once.
FIRST_TEXTS = 2
NEVER_DUE_SECONDS = 7 * 86_400
_REFERENCE = re.compile(r"\b[A-Z]{3}-\d{4}-\d{4,}\b")
_BARE_KEY = re.compile(r"\b(?:bare|direct)-[0-9a-f]+-\d+\b")

Fire = Callable[[int], Awaitable[str]]


@dataclass
class Latencies:
    """Milliseconds, one a request."""

    values: list[float]

    def at(self, fraction: float) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self) -> str:
        return (
            f"median {self.median:7.1f} ms   p90 {self.at(0.9):7.1f} ms   "
            f"p99 {self.at(0.99):7.1f} ms"
        )


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)

    def check(self, passed: bool, what: str) -> None:
        self.say(f"  {'yes' if passed else 'NO '}  {what}")
        if not passed:
            self.failures.append(what)


def _ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}x the bare workflow" if baseline else "n/a"


async def _at_steady_rate(rate: float, seconds: float, fire: Fire) -> dict[str, float]:
    """Call `fire(n)` at start + n/rate, each in its own task, so a slow answer never delays
    the next call (an open loop, as real councils would). Returns each key's call time."""
    count = max(1, int(rate * seconds))
    start = time.monotonic() + 0.1

    async def one(number: int) -> tuple[str, float]:
        await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
        called = time.monotonic()
        return await fire(number), called

    return dict(await asyncio.gather(*(one(n) for n in range(count))))


async def _as_fast_as_accepted(count: int, in_flight: int, fire: Fire) -> list[str]:
    """Call `fire` `count` times with `in_flight` calls outstanding at once."""
    numbers = iter(range(count))
    keys: list[str] = []

    async def caller() -> None:
        for number in numbers:
            keys.append(await fire(number))

    await asyncio.gather(*(caller() for _ in range(in_flight)))
    return keys


async def _settle(stack: Stack, *, within: float = 300) -> None:
    """Wait until the stack is idle (under 5 % of a core for a second), so work left over from
    one measurement is never counted against the next."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = sum(stack.cpu_seconds().values())
        await asyncio.sleep(1)
        if sum(stack.cpu_seconds().values()) - before < 0.05:
            return


def _words(arrival: Arrival | Text) -> str:
    """Where a message names what it is about: an email's subject, a text's words."""
    return arrival.subject if isinstance(arrival, Arrival) else arrival.body


def _first_arrivals(
    arrivals: Sequence[Arrival | Text], pattern: re.Pattern[str]
) -> dict[str, float]:
    first: dict[str, float] = {}
    for arrival in arrivals:
        if match := pattern.search(_words(arrival)):
            key = match.group(0)
            first[key] = min(arrival.at, first.get(key, arrival.at))
    return first


def _per_key(arrivals: Sequence[Arrival | Text], pattern: re.Pattern[str]) -> Counter[str]:
    return Counter(m.group(0) for a in arrivals if (m := pattern.search(_words(a))))


def _texts_twice(texts: Sequence[Text]) -> int:
    """Texts about the same incident to the same phone after the first."""
    sent = Counter(
        (m.group(0), text.recipient) for text in texts if (m := _REFERENCE.search(text.body))
    )
    return sum(n - 1 for n in sent.values())


class Drivers:
    """The three ways of raising an alert, each returning the key its emails' subjects carry."""

    def __init__(
        self, stack: Stack, api: httpx.AsyncClient, temporal: Client, bare_queue: str
    ) -> None:
        self.stack = stack
        self.api = api
        self.temporal = temporal
        self.bare_queue = bare_queue
        self.run_id = uuid.uuid4().hex[:8]
        self.answered: list[float] = []  # how long the API took to answer each create

    async def concordat(self, number: int, *, category: int = 4) -> str:
        body = {
            "authority": self.stack.codes[number % len(self.stack.codes)],
            "title": f"Benchmark incident {number}",
            "description": "Opened by the speed benchmark.",
            "incident_type": "malware",
            "category": category,
            "detected_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "reporter_name": "Benchmark",
            "reporter_email": "bench@bench.example",
        }
        headers = {"Idempotency-Key": f"speed-{self.run_id}-{uuid.uuid4()}"}
        for _ in range(20):  # a refused or dropped create is retried with the same key
            try:
                started = time.monotonic()
                response = await self.api.post("/api/incidents", json=body, headers=headers)
                if response.status_code in (200, 201):
                    self.answered.append((time.monotonic() - started) * 1000)
                    return str(response.json()["reference"])
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
        raise SystemExit(f"incident {number} could not be opened")

    async def concordat_category_3(self, number: int) -> str:
        """An incident the national channel plan pages by email and text at once."""
        return await self.concordat(number, category=3)

    def _alert(self, kind: str, number: int) -> BareAlert:
        return BareAlert(
            key=f"{kind}-{self.run_id}-{number}",
            recipient=f"member{number % 44}@bench.example",
            smtp_port=self.stack.smtp_port,
        )

    async def bare(self, number: int) -> str:
        alert = self._alert("bare", number)
        await self.temporal.start_workflow(
            BareAlertWorkflow.run, alert, id=alert.key, task_queue=self.bare_queue
        )
        return alert.key

    async def bare_to_completion(self, number: int) -> str:
        alert = self._alert("bare", number)
        await self.temporal.execute_workflow(
            BareAlertWorkflow.run, alert, id=alert.key, task_queue=self.bare_queue
        )
        return alert.key

    async def direct(self, number: int) -> str:
        alert = self._alert("direct", number)
        await send_direct(alert)
        return alert.key


async def first_alert(drivers: Drivers, args: argparse.Namespace, report: Report) -> None:
    report.say(f"1. Time to first alert, {args.rate:g} a second for {args.seconds:g} s")
    figures: dict[str, Latencies] = {}
    for name, fire, pattern, emails in (
        ("direct SMTP send", drivers.direct, _BARE_KEY, 1),
        ("bare workflow", drivers.bare, _BARE_KEY, 1),
        ("Concordat", drivers.concordat, _REFERENCE, FIRST_EMAILS),
    ):
        await _settle(drivers.stack)
        drivers.run_id = uuid.uuid4().hex[:8]
        drivers.answered = []
        before, texts_before = drivers.stack.mail.count(), drivers.stack.texts.count()
        called = await _at_steady_rate(args.rate, args.seconds, fire)
        expected = before + emails * len(called)
        arrived = await drivers.stack.mail.wait_for(expected, within=args.timeout)
        arrivals = drivers.stack.mail.arrivals()[before:]
        first = _first_arrivals(arrivals, pattern)
        latencies = Latencies([(first[k] - at) * 1000 for k, at in called.items() if k in first])
        figures[name] = latencies
        report.say(f"  {name:18} {latencies.line()}   (n={len(latencies.values)})")
        report.check(
            arrived and len(first) == len(called),
            f"{name}: every alert arrived ({len(first)} of {len(called)})",
        )
        if name == "Concordat":
            texted = _per_key(drivers.stack.texts.arrivals()[texts_before:], _REFERENCE)
            report.say(
                f"  Concordat's incidents here are category 4, paged first by email alone: "
                f"{sum(texted[k] for k in called)} texts sent for them"
            )
    report.say(f"  of which the API's answer {Latencies(drivers.answered).line()}")
    ours, bare = figures["Concordat"], figures["bare workflow"]
    report.say(
        f"  Concordat: median {_ratio(ours.median, bare.median)}, "
        f"p99 {_ratio(ours.at(0.99), bare.at(0.99))}"
    )
    await first_text(drivers, args, bare, report)


async def first_text(
    drivers: Drivers, args: argparse.Namespace, bare: Latencies, report: Report
) -> None:
    """Category 3 incidents at the same rate: their first email and first text, side by side."""
    stack = drivers.stack
    report.say(
        f"  Time to first text: category 3 incidents, {args.rate:g} a second for "
        f"{args.seconds:g} s, each emailing and texting both named members at once"
    )
    await _settle(stack)
    drivers.run_id = uuid.uuid4().hex[:8]
    mail_before, texts_before = stack.mail.count(), stack.texts.count()
    called = await _at_steady_rate(args.rate, args.seconds, drivers.concordat_category_3)
    emailed = await stack.mail.wait_for(
        mail_before + FIRST_EMAILS * len(called), within=args.timeout
    )
    texted = await stack.texts.wait_for(
        texts_before + FIRST_TEXTS * len(called), within=args.timeout
    )
    figures: dict[str, Latencies] = {}
    firsts: dict[str, dict[str, float]] = {}
    texts = stack.texts.arrivals()[texts_before:]
    for name, arrivals in (
        ("first email", stack.mail.arrivals()[mail_before:]),
        ("first text", texts),
    ):
        first = firsts[name] = _first_arrivals(arrivals, _REFERENCE)
        figures[name] = Latencies(
            [(first[k] - at) * 1000 for k, at in called.items() if k in first]
        )
        report.say(f"    {name:16} {figures[name].line()}   (n={len(figures[name].values)})")
    text, email = figures["first text"], figures["first email"]
    for than, baseline in (("first email", email), ("bare workflow", bare)):
        report.say(
            f"    first text / {than:14} "
            + "   ".join(
                f"{label} {ours / theirs:.2f}x" if theirs else f"{label} n/a"
                for label, ours, theirs in (
                    ("median", text.median, baseline.median),
                    ("p90", text.at(0.9), baseline.at(0.9)),
                    ("p99", text.at(0.99), baseline.at(0.99)),
                )
            )
        )
    per_incident = _per_key(texts, _REFERENCE)
    report.check(
        emailed
        and texted
        and set(firsts["first email"]) >= set(called)
        and all(per_incident[k] >= FIRST_TEXTS for k in called),
        f"category 3: every email and text arrived ({len(firsts['first text'])} of "
        f"{len(called)} incidents texted, {len(texts)} texts)",
    )
    twice = _texts_twice(texts)
    report.check(
        twice == 0 and all(per_incident[k] <= FIRST_TEXTS for k in called),
        f"category 3: no text arrived twice ({twice} did)",
    )


async def _wait_for_timeline(stack: Stack, sends: int, within: float) -> bool:
    """True once `sends` notification_sent events are in the database's timeline."""
    deadline = time.monotonic() + within
    while await _sends_recorded(stack) < sends:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def _sends_recorded(stack: Stack) -> int:
    async with stack.database.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.kind == EventKind.NOTIFICATION_SENT)
            )
        ).one()


async def throughput(drivers: Drivers, args: argparse.Namespace, report: Report) -> None:
    count, in_flight = args.throughput_incidents, args.in_flight
    report.say(f"2. Sustained throughput, {count} each, {in_flight} in flight")
    rates: dict[str, float] = {}
    events: dict[str, float] = {}
    stack = drivers.stack
    # Each is driven the same way: calls that return once the work is accepted (the email
    # sent, the workflow started, the incident opened), then a wait until all of it is done.
    for name, fire, pattern, emails in (
        ("direct SMTP send", drivers.direct, _BARE_KEY, 1),
        ("bare workflow", drivers.bare, _BARE_KEY, 1),
        ("Concordat", drivers.concordat, _REFERENCE, FIRST_EMAILS),
    ):
        await _settle(stack)
        drivers.run_id = uuid.uuid4().hex[:8]
        before, sends_before = stack.mail.count(), await _sends_recorded(stack)
        cpu_before = stack.cpu_seconds()
        drivers.answered = []
        sampling = name == "Concordat" and args.profile is not None
        with profiled(stack, args.profile) if sampling else nullcontext():
            started = time.monotonic()
            keys = await _as_fast_as_accepted(count, in_flight, fire)
            arrived = await stack.mail.wait_for(before + emails * count, within=args.timeout)
            recorded = True
            if name == "Concordat":  # fully processed: both sends written to the timeline too
                recorded = await _wait_for_timeline(
                    stack, sends_before + emails * count, within=args.timeout
                )
            elapsed = time.monotonic() - started
        rates[name] = count / elapsed
        unit = "incidents" if name == "Concordat" else "alerts"
        report.say(f"  {name:18} {rates[name]:7.1f} {unit} a second ({elapsed:.1f} s)")
        cpu = {k: v - cpu_before[k] for k, v in stack.cpu_seconds().items()}
        report.say(
            "    CPU ms each: "
            + ", ".join(
                f"{k} {1000 * v / count:.0f}" for k, v in cpu.items() if 1000 * v / count >= 1
            )
        )
        await asyncio.sleep(1)  # for any duplicate
        per_key = _per_key(stack.mail.arrivals()[before:], pattern)
        if name == "Concordat":
            report.say(f"    the API's answers: {Latencies(drivers.answered).line()}")
        report.check(
            arrived and recorded and set(per_key) == set(keys),
            f"{name}: nothing lost ({len(per_key)} of {len(keys)})",
        )
        report.check(all(n == emails for n in per_key.values()), f"{name}: no email arrived twice")
        if name != "direct SMTP send":
            events[name] = await _history_events(drivers, name, keys)
    report.say(f"  Concordat: {_ratio(rates['Concordat'], rates['bare workflow'])}")
    if args.profile is not None:
        for recording in sorted(args.profile.glob("*.txt")):
            for line in summary(recording):
                report.say(line)
    report.say(
        f"  History events each: bare workflow {events['bare workflow']:.1f}, Concordat "
        f"{events['Concordat']:.1f} ({events['Concordat'] / events['bare workflow']:.2f}x; "
        "Concordat's so far, its incidents still open on their escalation timers)"
    )


async def _history_events(drivers: Drivers, name: str, keys: list[str]) -> float:
    """The mean length of the workflows' histories (up to 50 of them): every event is work
    the Temporal server stores, and on Temporal Cloud it is billed."""
    sample = keys[:50]
    if name == "Concordat":
        async with drivers.stack.database.reading() as session:
            found = await session.exec(
                select(Incident.workflow_id).where(col(Incident.reference).in_(sample))
            )
            sample = list(found.all())
    lengths = [
        (
            await drivers.temporal.get_workflow_handle(workflow_id).describe()
        ).raw_description.workflow_execution_info.history_length
        for workflow_id in sample
    ]
    return statistics.fmean(lengths)


async def _incident_with_events(drivers: Drivers, events: int, report: Report) -> Incident:
    """An incident whose timeline has `events` events: opened, then notes until it does."""
    reference = await drivers.concordat(0)
    stack = drivers.stack
    async with stack.database.session() as session:
        incident = (
            await session.exec(select(Incident).where(Incident.reference == reference))
        ).one()
    await _wait_for_events(stack, incident.id, 4, within=60)
    notes = iter(range(events - await _event_count(stack, incident.id)))

    async def writer() -> None:
        for number in notes:
            response = await drivers.api.post(
                f"/api/incidents/{incident.id}/notes",
                json={"text": f"Benchmark note {number}: containment step recorded."},
            )
            response.raise_for_status()

    started = time.monotonic()
    await asyncio.gather(*(writer() for _ in range(8)))
    await _wait_for_events(stack, incident.id, events, within=300)
    report.say(f"  {events} events written in {time.monotonic() - started:.1f} s (8 in flight)")
    async with stack.database.session() as session:  # as it is now, in its authority's chain
        return await session.get_one(Incident, incident.id)


async def _event_count(stack: Stack, incident_id: str) -> int:
    async with stack.database.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id)
            )
        ).one()


async def _wait_for_events(stack: Stack, incident_id: str, events: int, within: float) -> None:
    deadline = time.monotonic() + within
    while await _event_count(stack, incident_id) < events:
        if time.monotonic() > deadline:
            raise SystemExit(f"the timeline did not reach {events} events")
        await asyncio.sleep(0.2)


async def replay(
    drivers: Drivers, temporal: Client, args: argparse.Namespace, report: Report
) -> None:
    """`temporal` decodes with the product's payload keys, as an auditor's client does."""
    report.say(f"3. Replay of an incident with {args.replay_events} events")
    stack = drivers.stack
    incident = await _incident_with_events(drivers, args.replay_events, report)
    await _settle(stack)
    converter = data_converter(PayloadKeys.parse(stack.payload_keys))
    timings: list[float] = []
    sound = True
    for _ in range(args.replay_repeats):
        started = time.perf_counter()
        async with stack.database.session() as session:
            rebuilt = await rebuild_incident(
                incident, client=temporal, converter=converter, session=session
            )
        printed = to_text(rebuilt)
        timings.append((time.perf_counter() - started) * 1000)
        sound = sound and rebuilt.sound and len(rebuilt.entries) >= args.replay_events
    for finding in rebuilt.findings():
        report.say(f"  {finding}")
    report.say(
        f"  rebuild, replay, check and print, in process: median {statistics.median(timings):.0f}"
        f" ms (n={len(timings)}, {len(printed.splitlines())} lines)"
    )
    started = time.perf_counter()
    command = subprocess.run(  # noqa: ASYNC221, S603 (our own command, timed end to end)
        [CONCORDAT, "audit", "replay", incident.reference],
        env=stack.env,
        capture_output=True,
        check=False,
    )
    wall = (time.perf_counter() - started) * 1000
    report.say(f"  `concordat audit replay` end to end, with interpreter start: {wall:.0f} ms")
    if command.returncode != 0:
        report.say(command.stdout.decode()[-2000:] + command.stderr.decode()[-2000:])
    report.check(sound and command.returncode == 0, "the replay checks out")


async def memory(drivers: Drivers, args: argparse.Namespace, report: Report) -> None:
    stack = drivers.stack
    assert stack.worker is not None
    open_now = await _open_incidents(stack)
    to_open = max(0, args.open_incidents - open_now)
    report.say(f"4. Worker memory with {args.open_incidents} incidents open on their timers")
    drivers.run_id = uuid.uuid4().hex[:8]
    before = stack.mail.count()
    started = time.monotonic()
    await _as_fast_as_accepted(to_open, args.in_flight, drivers.concordat)
    # The API accepts incidents faster than one worker alerts for them; the rest queue on the
    # server, durably, so allow for the queue as well as the usual wait.
    arrived = await stack.mail.wait_for(
        before + FIRST_EMAILS * to_open, within=args.timeout + to_open / 2
    )
    report.say(
        f"  opened {to_open} more in {time.monotonic() - started:.0f} s; worker peak "
        f"{peak_memory_mib(stack.worker.pid):.0f} MiB, now "
        f"{resident_memory_mib(stack.worker.pid):.0f} MiB (cache {args.cache_size} workflows)"
    )
    report.check(arrived and await _open_incidents(stack) >= args.open_incidents, "all open")


async def _open_incidents(stack: Stack) -> int:
    async with stack.database.session() as session:
        return (
            await session.exec(
                select(func.count()).select_from(Incident).where(col(Incident.closed_at).is_(None))
            )
        ).one()


async def run(args: argparse.Namespace) -> int:
    report = Report()
    async with Stack(
        ack_seconds=NEVER_DUE_SECONDS, cache_size=args.cache_size, database_url=args.database_url
    ) as stack:
        drivers_client = await Client.connect(stack.temporal_address)
        bare_queue = f"bare-{uuid.uuid4()}"
        stack.spawn(
            "bare worker",
            [
                sys.executable,
                "-m",
                "bench.baseline",
                "--address",
                stack.temporal_address,
                "--task-queue",
                bare_queue,
            ],
        )
        headers = {"Authorization": f"Bearer {stack.token}"}
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(
            base_url=stack.base_url, headers=headers, timeout=60, limits=limits
        ) as api:
            drivers = Drivers(stack, api, drivers_client, bare_queue)
            replay_client = await Client.connect(
                stack.temporal_address,
                data_converter=data_converter(PayloadKeys.parse(stack.payload_keys)),
            )
            report.say(
                f"Concordat speed, {stack.backend}, {os.cpu_count()} cores, "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            )
            await _warm_up(drivers)
            await first_alert(drivers, args, report)
            await throughput(drivers, args, report)
            await replay(drivers, replay_client, args, report)
            if args.open_incidents:
                await memory(drivers, args, report)
            twice = _texts_twice(stack.texts.arrivals())
            report.check(
                twice == 0,
                f"in the whole run, no text arrived twice ({stack.texts.count()} texts, "
                f"{twice} twice)",
            )
        if report.failures or args.keep:
            report.say(f"kept for a look: {stack.keep()}")
    return 1 if report.failures else 0


async def _warm_up(drivers: Drivers) -> None:
    """One of each first, so no figure includes a process's first imports and connections."""
    before, texts_before = drivers.stack.mail.count(), drivers.stack.texts.count()
    await drivers.direct(0)
    await drivers.bare_to_completion(0)
    await asyncio.gather(drivers.concordat(0), drivers.concordat_category_3(1))
    await drivers.stack.mail.wait_for(before + 1 + 1 + 2 * FIRST_EMAILS, within=120)
    await drivers.stack.texts.wait_for(texts_before + FIRST_TEXTS, within=120)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10, help="Alerts a second, phase 1.")
    parser.add_argument("--seconds", type=float, default=60, help="How long phase 1 lasts.")
    parser.add_argument("--throughput-incidents", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=20, help="Concurrent calls, phase 2.")
    parser.add_argument("--replay-events", type=int, default=1000)
    parser.add_argument("--replay-repeats", type=int, default=5)
    parser.add_argument(
        "--open-incidents", type=int, default=10_000, help="Phase 4 (0 leaves it out)."
    )
    parser.add_argument(
        "--cache-size", type=int, default=Settings.model_fields["max_cached_workflows"].default
    )
    parser.add_argument("--database-url", help="A PostgreSQL server; SQLite if absent.")
    parser.add_argument("--timeout", type=float, default=600, help="Longest wait for mail.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch data afterwards.")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="Sample the worker and web process with py-spy during Concordat's throughput run.",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="A few seconds of each phase, to keep it working."
    )
    args = parser.parse_args()
    if args.smoke:
        args.rate, args.seconds, args.throughput_incidents, args.in_flight = 5, 1, 20, 5
        args.replay_events, args.replay_repeats, args.open_incidents = 60, 1, 0
        args.timeout = 120
    code = asyncio.run(run(args))
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
