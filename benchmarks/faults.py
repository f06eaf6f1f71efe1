"""Fault benchmark: nothing acknowledged is lost, nothing is doubled.

Starts a private PostgreSQL cluster (initdb in a temporary directory, a free port: the machine's own server is
never touched), migrates it, starts two ``icam-bot serve`` replicas against it and the fake Slack, and drives
both like Slack and a load balancer would: 60 questions/s (direct messages) and 60 issue-form submissions/s.
A request that fails or takes over 3 s is retried on the other replica (as Slack retries, with
X-Slack-Retry-Num). Beside them, the owner presses Acknowledge on the triage posts as they appear (5/s: each
is an edit of that post through the outbox), and the weekly digest falls due as the replicas start (both race
for it; the killed and restarted replica checks again). Faults during the burst: replica A is killed with
SIGKILL (and restarted a few seconds later), then PostgreSQL is stopped for 20 s; finally 200 malformed
requests. Then it waits for the replicas to deliver what they owe and reports, per stream: sent, acked,
stored, answered/notified, duplicated; and the duplicates per kind of message.

    .venv/bin/python benchmarks/faults.py                 # about two minutes
    .venv/bin/python benchmarks/faults.py --json out.json --load-seconds 45 --db-stop-seconds 20

Run as root (the cluster then runs as the ``postgres`` user) or as a user who may run ``initdb``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "slack"))

from fake_slack import FakeSlack  # noqa: E402
from serve_process import Served, serve_env, start_serve, wait_healthy  # noqa: E402
from slack_requests import SIGNING_SECRET, block_actions, direct_message, event_callback  # noqa: E402

from handlers.common.blocks import encode_value  # noqa: E402
from handlers.common.ids import ActionId, BlockId  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SLACK_TIMEOUT_S = 3.0  # Slack gives up on an ack after 3 s and retries
SLACK_RETRIES = 3
#: Slack retries an event about at once, after 1 minute and after 5 minutes; compressed here.
RETRY_DELAYS_S = (1.0, 5.0, 15.0)
#: A form refused with "Not saved" is submitted again by the person, this much later, up to this many times.
FORM_RETRY_S = 10.0
FORM_RETRIES = 4
TRIAGE_CHANNEL = "C0EXAMPLECRD"  # the credentialing program's triage channel in the bundled routing file
OWNER = "U0EXAMPLE11"  # its owner, who presses Acknowledge
DIGEST_CHANNEL = "C0FBDIGEST1"
CLICK_RATE = 5  # Acknowledge presses per second
QUESTIONS = (
    "what does PACS stand for?",
    "how do I reset my PIV PIN?",
    "my piv card is locked",
    "who won the football game?",
    "what is a derived credential",
)


# -- the private PostgreSQL cluster ------------------------------------------------------------------------------


class PrivatePostgres:
    """A throwaway cluster in a temporary directory, on a free port, that the benchmark may stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="icam-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> PrivatePostgres:
        if self.as_user:
            shutil.chown(self.root, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# -- what Slack sends --------------------------------------------------------------------------------------------


def _form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def issue_submission(n: int) -> tuple[str, str, str]:
    """(body, reporter, title) of the n-th issue form submission."""
    reporter = f"U{n:09d}"
    title = f"Fault bench reader outage {n}"

    def text(value: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    def option(value: str) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value}}

    values = {
        "kind": option("issue"),
        "program": option("credentialing"),
        "severity": option("high"),
        "title": text(title),
        "description": text(f"Readers fail in building {n % 9} since this morning."),
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0000001"},
        "user": {"id": reporter, "team_id": "T0000001"},
        "api_app_id": "A0000001",
        "trigger_id": f"{n}.42.abc",
        "view": {
            "id": f"VFB{n:08d}",
            "type": "modal",
            "callback_id": "icam_issue_modal",
            "private_metadata": "",
            "state": {"values": {block: {"icam_field": element} for block, element in values.items()}},
        },
    }
    return _form(payload), reporter, title


def question_event(n: int) -> tuple[str, str, str]:
    """(body, event id, DM channel) of the n-th question: each in its own DM channel, so answers are countable."""
    channel = f"DFB{n:08d}"
    event_id = f"EvFB{n:010d}"
    event = direct_message(QUESTIONS[n % len(QUESTIONS)], user=f"U{n:09d}", channel=channel, ts=f"1700000000.{n:06d}")
    return json.dumps(event_callback(event, event_id)), event_id, channel


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _interactive(payload: dict[str, Any]) -> tuple[bytes, str]:
    return _form(payload).encode(), FORM


HUGE_EVENT_ID = {"type": "event_callback", "event_id": "1" * 10_000, "event": {"type": "message"}}
PROGRAM_RAG_3 = {"callback_id": "icam_program_modal", "state": {"values": {"program_rag": 3}}}
MALFORMED: tuple[tuple[bytes, str], ...] = (
    (b"{not json", JSON),
    (json.dumps(HUGE_EVENT_ID).encode(), JSON),
    (b'{"type": "\xff\xfe"}', JSON),
    _interactive({"type": "view_submission", "user": {"id": "U1"}, "view": {"state": "x"}}),
    _interactive({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": 7}]}),
    _interactive({"type": "view_submission", "user": {"id": "U1"}, "view": PROGRAM_RAG_3}),
    (b"payload=not-json", FORM),
    (b"[1, 2, 3]", JSON),
)


def sign(body: bytes) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (also bytes that are not UTF-8)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


# -- the driver ----------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: int = 0
    acked: int = 0
    refused_on_form: int = 0  # the form showed "not saved" (nothing acknowledged: the person still has the text)
    resubmitted: int = 0  # forms submitted again after a "not saved" on the form
    given_up: int = 0  # no replica acked after Slack's retries (never acknowledged)
    statuses: Counter[int] = field(default_factory=Counter)


class Driver:
    """Posts like Slack behind a load balancer: round robin over the live replicas, retries on failure."""

    def __init__(self, session: aiohttp.ClientSession, replicas: list[Served]) -> None:
        self.session = session
        self.replicas = replicas
        self.turn = itertools.count()
        self.latencies: list[float] = []

    async def post(self, body: bytes, content_type: str, *, retries: int = SLACK_RETRIES) -> tuple[int, str]:
        """Returns the last status (0: no answer) and body; retries on errors, timeouts and 5xx (a form is
        submitted again on any failure: Slack shows the person an error and they press Submit again)."""
        resubmit = content_type == FORM and b"view_submission" in body
        status, text = 0, ""
        first = next(self.turn)
        for attempt in range(retries + 1):
            served = self.replicas[(first + attempt) % len(self.replicas)]
            headers = {"Content-Type": content_type, **sign(body)}
            if attempt:
                headers.update({"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"})
            started = time.monotonic()
            try:
                async with self.session.post(
                    served.url + "/slack/events",
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S),
                ) as resp:
                    status, text = resp.status, await resp.text()
                self.latencies.append(time.monotonic() - started)
            except (aiohttp.ClientError, TimeoutError):
                status, text = 0, ""
            if status == 200 or (status and status < 500 and not resubmit):
                return status, text
            await asyncio.sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
        return status, text


@dataclass
class Run:
    questions: Tally = field(default_factory=Tally)
    submissions: Tally = field(default_factory=Tally)
    malformed: Counter[int] = field(default_factory=Counter)
    question_ids: dict[str, str] = field(default_factory=dict)  # event id -> DM channel (acked ones)
    submission_titles: dict[str, str] = field(default_factory=dict)  # title -> reporter (acked ones)
    events: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # every answered request's time to its response
    clicks: Counter[int] = field(default_factory=Counter)  # Acknowledge presses by HTTP status
    clicked: dict[int, tuple[str, str]] = field(default_factory=dict)  # item id -> its triage post (channel, ts)


async def ask(driver: Driver, run: Run, n: int) -> None:
    body, event_id, channel = question_event(n)
    run.questions.sent += 1
    status, _ = await driver.post(body.encode(), JSON)
    run.questions.statuses[status] += 1
    if status == 200:
        run.questions.acked += 1
        run.question_ids[event_id] = channel
    else:
        run.questions.given_up += 1


async def submit(driver: Driver, run: Run, n: int) -> None:
    """Slack does not retry a form: the person does, pressing Submit again (the same view id) when Slack says
    it could not reach the app."""
    body, reporter, title = issue_submission(n)
    run.submissions.sent += 1
    status, text = await driver.post(body.encode(), FORM)
    for _ in range(FORM_RETRIES):  # "Not saved ... submit again in a minute": the person does, a bit later
        if not (status == 200 and '"errors"' in text):
            break
        run.submissions.resubmitted += 1
        await asyncio.sleep(FORM_RETRY_S)
        status, text = await driver.post(body.encode(), FORM)
    run.submissions.statuses[status] += 1
    if status == 200 and '"errors"' in text:
        run.submissions.refused_on_form += 1
    elif status == 200:
        run.submissions.acked += 1
        run.submission_titles[title] = reporter
    else:
        run.submissions.given_up += 1


async def burst(driver: Driver, run: Run, seconds: float, rate: int) -> None:
    """``rate`` questions and ``rate`` submissions per second for ``seconds``."""
    tasks: list[asyncio.Task[None]] = []
    started = time.monotonic()
    for n in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(ask(driver, run, n)))
        tasks.append(asyncio.create_task(submit(driver, run, n)))
    await asyncio.gather(*tasks)


def acknowledge(item_id: int, ts: str, n: int, fake: FakeSlack) -> bytes:
    """The owner pressing Acknowledge on an item's triage post."""
    action = {
        "action_id": ActionId.ITEM_ACKNOWLEDGE,
        "value": encode_value(i=item_id),
        "block_id": BlockId.ITEM_ACTIONS,
    }
    payload = block_actions(action, fake.response_url(f"ack{n}"), user=OWNER, channel=TRIAGE_CHANNEL, message_ts=ts)
    return _form(payload).encode()


async def press_acknowledge(driver: Driver, run: Run, fake: FakeSlack, done: asyncio.Event) -> None:
    """Acknowledge on the triage posts as they appear, CLICK_RATE a second, until ``done``: a button is not
    retried by Slack (a person presses it once; an error is theirs to see, and counted)."""
    tasks: list[asyncio.Task[None]] = []

    async def press(item_id: int, ts: str, n: int) -> None:
        status, _ = await driver.post(acknowledge(item_id, ts, n, fake), FORM, retries=0)
        run.clicks[status] += 1

    n = 0
    while not done.is_set():
        for message in list(fake.messages.get(TRIAGE_CHANNEL, [])):
            found = re.search(r"ICAM-(\d+)", str(message.get("text") or ""))
            if found is None or int(found.group(1)) in run.clicked:
                continue
            item_id = int(found.group(1))
            run.clicked[item_id] = (TRIAGE_CHANNEL, str(message["ts"]))
            tasks.append(asyncio.create_task(press(item_id, str(message["ts"]), n)))
            n += 1
            await asyncio.sleep(1 / CLICK_RATE)
            if done.is_set():
                break
        else:
            await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)


def digest_due_now() -> dict[str, str]:
    """Settings making this week's digest due this minute (UTC), so both replicas race for it as they start."""
    now = dt.datetime.now(dt.UTC)
    return {
        "ICAM_DIGEST_DAY": str(now.weekday()),
        "ICAM_DIGEST_TIME": now.strftime("%H:%M"),
        "ICAM_DIGEST_TZ": "UTC",
        "ICAM_DIGEST_CHANNEL": DIGEST_CHANNEL,
    }


# -- counting what was stored and delivered -----------------------------------------------------------------------


def database_counts(url: str, run: Run) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stored_questions = {
                key.removeprefix("event:") for (key,) in conn.execute(text("SELECT request_key FROM pending_questions"))
            }
            question_statuses = Counter(
                dict(conn.execute(text("SELECT status, count(*) FROM pending_questions GROUP BY status")).all())
            )
            logged = int(conn.execute(text("SELECT count(*) FROM question_log WHERE surface = 'dm'")).scalar() or 0)
            events = {e for (e,) in conn.execute(text("SELECT event_id FROM processed_events"))}
            titles = Counter(t for (t,) in conn.execute(text("SELECT title FROM tracker_items")))
            outbox = Counter(dict(conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all()))
            item_status = {int(i): str(st) for i, st in conn.execute(text("SELECT id, status FROM tracker_items"))}
    finally:
        engine.dispose()
    return {
        "stored_questions": stored_questions,
        "question_statuses": question_statuses,
        "logged_dm_questions": logged,
        "events": events,
        "titles": titles,
        "outbox": outbox,
        "item_status": item_status,
    }


async def settle(url: str, run: Run, timeout: float) -> dict[str, Any]:
    """Wait until nothing is owed any more (questions answered, outbox sent), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await asyncio.to_thread(database_counts, url, run)
        statuses = counts["question_statuses"]
        open_questions = sum(statuses.get(state, 0) for state in ("pending", "answering", "sending"))
        if (not open_questions and not counts["outbox"].get("pending", 0)) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(1.0)


def report(run: Run, fake: FakeSlack, counts: dict[str, Any]) -> dict[str, Any]:
    posts = fake.calls_to("chat.postMessage")
    by_channel = Counter(str(c.params.get("channel")) for c in posts)
    acked_questions = run.question_ids
    answered = sum(1 for channel in acked_questions.values() if by_channel[channel] >= 1)
    doubled_answers = sum(1 for channel in acked_questions.values() if by_channel[channel] > 1)
    stored_q = sum(
        1 for event_id in acked_questions if event_id in counts["stored_questions"] or event_id in counts["events"]
    )
    titles = counts["titles"]
    acked_titles = run.submission_titles
    stored_items = sum(1 for title in acked_titles if titles[title] >= 1)
    duplicated_items = sum(1 for title in acked_titles if titles[title] > 1)
    confirmations = Counter()
    returned = Counter()
    for call in posts:
        channel = str(call.params.get("channel"))
        text = str(call.params.get("text") or "")
        if channel.startswith("U") and "is logged as" in text:
            confirmations[channel] += 1
        elif channel.startswith("U") and "NOT saved" in text:
            returned[channel] += 1
    notified = sum(1 for reporter in acked_titles.values() if confirmations[reporter] >= 1 or returned[reporter] >= 1)
    doubled_notes = sum(1 for reporter in acked_titles.values() if confirmations[reporter] > 1)
    triage = Counter(
        next((w for w in str(c.params.get("text") or "").split() if w.startswith("ICAM-")), "")
        for c in posts
        if c.params.get("channel") == "C0EXAMPLECRD"
    )
    doubled_triage = sum(1 for ref, n in triage.items() if ref and n > 1)
    # every tracker message names its item and goes to a person (U…) or the triage channel (C…): the same
    # text to the same place twice is a message sent twice. A "NOT saved" DM returns one submission attempt's
    # text: a form submitted again (same view) that fails again returns it again (counted apart).
    tracker_posts = Counter(
        (str(c.params.get("channel")), str(c.params.get("text")))
        for c in posts
        if str(c.params.get("channel"))[:1] in ("U", "C")
    )
    doubled_messages = sum(n - 1 for (_ch, text), n in tracker_posts.items() if n > 1 and "NOT saved" not in text)
    returned_again = sum(n - 1 for (_ch, text), n in tracker_posts.items() if n > 1 and "NOT saved" in text)
    owner_dms = Counter(str(c.params.get("text")) for c in posts if c.params.get("channel") == OWNER)
    # an edit sent twice: the same content to the same message again
    updates = fake.calls_to("chat.update")
    same_edit = Counter(
        (str(c.params.get("channel")), str(c.params.get("ts")), json.dumps(c.params.get("blocks"), sort_keys=True))
        for c in updates
    )
    edited = {
        (str(c.params.get("channel")), str(c.params.get("ts"))) for c in updates if "acknowledged by" in c.texts()
    }
    acknowledged = [i for i in run.clicked if counts["item_status"].get(i) not in (None, "new")]
    digests = [c for c in posts if c.params.get("channel") == DIGEST_CHANNEL]
    duplicates = {
        "answers": doubled_answers,
        "reporter confirmations": sum(n - 1 for n in confirmations.values() if n > 1),
        "owner DMs": sum(n - 1 for n in owner_dms.values() if n > 1),
        "triage posts": sum(n - 1 for ref, n in triage.items() if ref and n > 1),
        "edits (chat.update)": sum(n - 1 for n in same_edit.values() if n > 1),
        "digest posts": max(len(digests) - 1, 0),
    }
    return {
        "questions": {
            "sent": run.questions.sent,
            "acked": run.questions.acked,
            "stored": stored_q,
            "answered": answered,
            "duplicated": doubled_answers,
            "duplicated event ids": sorted(e for e, ch in acked_questions.items() if by_channel[ch] > 1)[:20],
            "not acked (Slack gave up)": run.questions.given_up,
        },
        "submissions": {
            "sent": run.submissions.sent,
            "acked": run.submissions.acked,
            "stored": stored_items,
            "notified": notified,
            "duplicated": duplicated_items + doubled_messages,
            "items stored twice": duplicated_items,
            "messages sent twice (confirmations, owner DMs, triage posts)": doubled_messages,
            "confirmations doubled": doubled_notes,
            "refused on the form (text kept)": run.submissions.refused_on_form,
            "submitted again after 'not saved' on the form": run.submissions.resubmitted,
            "not acked (Slack gave up)": run.submissions.given_up,
            "returned by DM (not saved)": sum(1 for r in acked_titles.values() if returned[r] >= 1),
            "'not saved' DMs for a form submitted again that failed again": returned_again,
            "triage posts doubled": doubled_triage,
        },
        "edits": {
            "pressed": sum(run.clicks.values()),
            "acked (200)": run.clicks.get(200, 0),
            "404 / 5xx": sum(n for st, n in run.clicks.items() if st == 404 or st >= 500),
            "no answer (the replica was down; not retried)": run.clicks.get(0, 0),
            "recorded (item acknowledged)": len(acknowledged),
            "triage post edited": sum(1 for i in acknowledged if run.clicked[i] in edited),
            "duplicated": duplicates["edits (chat.update)"],
        },
        "digest": {"posts": len(digests), "duplicated": duplicates["digest posts"]},
        "duplicates": duplicates,
        "malformed": {
            "sent": sum(run.malformed.values()),
            "4xx": sum(n for s, n in run.malformed.items() if 400 <= s < 500),
            "5xx or none": sum(n for s, n in run.malformed.items() if s >= 500 or s == 0),
        },
        "ack_ms": latency_ms(run.latencies),
        "outbox": dict(counts["outbox"]),
        "pending_questions": dict(counts["question_statuses"]),
        "timeline": run.events,
    }


def latency_ms(samples: list[float]) -> dict[str, float]:
    """p50 / p99 / max of the answered requests' times to the ack, in milliseconds."""
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1), "requests": len(ordered)}


def table(result: dict[str, Any]) -> str:
    q, s, m = result["questions"], result["submissions"], result["malformed"]
    e, d = result["edits"], result["digest"]
    lines = [
        "| stream | sent | acked | stored | answered / notified | duplicated | not acked |",
        "|---|---|---|---|---|---|---|",
        f"| questions (DM, 60/s) | {q['sent']} | {q['acked']} | {q['stored']} | {q['answered']} | {q['duplicated']} "
        f"| {q['not acked (Slack gave up)']} |",
        f"| submissions (issue form, 60/s) | {s['sent']} | {s['acked']} | {s['stored']} | {s['notified']} "
        f"| {s['duplicated']} | {s['refused on the form (text kept)']} refused on the form, "
        f"{s['not acked (Slack gave up)']} gave up |",
        f"| edits (Acknowledge, {CLICK_RATE}/s) | {e['pressed']} | {e['acked (200)']} | "
        f"{e['recorded (item acknowledged)']} | {e['triage post edited']} | {e['duplicated']} "
        f"| {e['404 / 5xx']} got 404/5xx, {e['no answer (the replica was down; not retried)']} hit a dead replica |",
        f"| weekly digest | 1 due | — | — | {d['posts']} posted | {d['duplicated']} | — |",
        f"| malformed | {m['sent']} | {m['4xx']} got 4xx | — | — | — | {m['5xx or none']} got 5xx |",
        "",
        "| duplicates per kind | " + " | ".join(result["duplicates"]) + " |",
        "|---|" + "---|" * len(result["duplicates"]),
        "| count | " + " | ".join(str(n) for n in result["duplicates"].values()) + " |",
    ]
    return "\n".join(lines)


# -- the run -------------------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from serve_process import free_port

    pg = PrivatePostgres(free_port()).init()
    pg.start()
    fake = await FakeSlack().start()
    run = Run()
    replicas: list[Served] = []
    work = Path(tempfile.mkdtemp(prefix="icam-faults-"))
    t0 = time.monotonic()

    def note(what: str) -> None:
        run.events.append(f"{time.monotonic() - t0:6.1f} s  {what}")
        print(run.events[-1], flush=True)

    try:
        env_base = {"DATABASE_URL": pg.url}
        subprocess.run(
            [sys.executable, "-m", "icam_bot.cli.main", "db", "upgrade"],
            cwd=REPO,
            env={**os.environ, **env_base},
            check=True,
            capture_output=True,
            timeout=120,
        )
        extra = {
            "ICAM_ANSWER_WORKERS": str(args.answer_workers),
            "ICAM_LEASE_SECONDS": str(args.lease_seconds),
            "ICAM_SWEEP_SECONDS": "3600",
            "ICAM_LOG_LEVEL": "WARNING",
            **digest_due_now(),
        }
        envs = [serve_env(fake.api_url, pg.url, work / name, **extra) for name in ("a", "b")]
        replicas = [start_serve(env, work / f"{name}.log") for env, name in zip(envs, ("a", "b"), strict=True)]
        connector = aiohttp.TCPConnector(limit=400)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(wait_healthy(session, r) for r in replicas))
            note("two replicas ready on a private PostgreSQL")
            driver = Driver(session, replicas)
            driver.latencies = run.latencies
            load = asyncio.create_task(burst(driver, run, args.load_seconds, args.rate))
            burst_over = asyncio.Event()
            presses = asyncio.create_task(press_acknowledge(driver, run, fake, burst_over))
            await asyncio.sleep(args.kill_at)
            if not args.no_kill:
                replicas[0].proc.send_signal(signal.SIGKILL)
                note("replica A killed (SIGKILL) mid-burst")
                await asyncio.sleep(args.restart_after)
                port = replicas[0].port
                replicas[0] = start_serve(envs[0], work / "a2.log", port=port)
                await wait_healthy(session, replicas[0])
                note("replica A restarted")
            await asyncio.sleep(3)
            await asyncio.to_thread(pg.stop)
            note(f"PostgreSQL stopped for {args.db_stop_seconds:.0f} s")
            await asyncio.sleep(args.db_stop_seconds)
            await asyncio.to_thread(pg.start)
            note("PostgreSQL started again")
            await load
            burst_over.set()
            await presses
            note("burst over")
            for n in range(200):
                body, content_type = MALFORMED[n % len(MALFORMED)]
                status, _ = await driver.post(body, content_type, retries=0)
                run.malformed[status] += 1
            note("200 malformed requests sent")
            counts = await settle(pg.url, run, args.settle_seconds)
            note("settled" if not counts["outbox"].get("pending") else "settle timeout")
        result = report(run, fake, counts)
    finally:
        for served in replicas:
            served.kill()
        await fake.stop()
        pg.destroy()
        if not args.keep_logs:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs in {work}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=60, help="questions/s and submissions/s (each)")
    parser.add_argument("--load-seconds", type=float, default=45.0)
    parser.add_argument("--kill-at", type=float, default=8.0, help="seconds into the burst replica A is killed")
    parser.add_argument("--restart-after", type=float, default=5.0)
    parser.add_argument("--no-kill", action="store_true", help="no replica is killed (a control run)")
    parser.add_argument("--db-stop-seconds", type=float, default=20.0)
    parser.add_argument("--lease-seconds", type=float, default=10.0, help="ICAM_LEASE_SECONDS of the replicas")
    parser.add_argument("--answer-workers", type=int, default=1, help="ICAM_ANSWER_WORKERS of each replica")
    parser.add_argument("--settle-seconds", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print()
    print(table(result))
    print()
    print(json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
