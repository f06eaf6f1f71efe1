"""Answer analytics in Slack: ``/icam stats answers``, the chart ``/icam stats`` sends, the PMO's Home section, the
digest's chart through the outbox, and the question a tracker item came from. Signed requests in, the fake's
recorded calls (and uploaded bytes) out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from analytics_history import NOW, seed
from fake_clock import Clock
from png_reader import read_png
from slack_harness import Harness, posts_to, reply_to, serve_app
from slack_requests import app_home_opened, block_actions, modal_state, view_submission
from sqlalchemy import select

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.comms.digest import DigestTask, digest_scheduler
from handlers.runtime.sender import make_web_client
from icam_bot.analytics.figures import NO_RAG_HISTORY
from icam_bot.charts.plot import HEIGHT, WIDTH
from icam_bot.comms.runs import DigestRuns, RunState
from icam_bot.outbox.models import OutboxMessage
from icam_bot.records.models import AccessEvent
from icam_bot.tracker.models import TrackerItem

STAFF = "U0000STAFF"
PMO = "U0EXAMPLEPM1"
ESC = "U0EXAMPLEES1"
PMO_CHANNEL = "C0EXAMPLEPMO"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def seeded(h: Harness) -> None:
    seed(h.store.engine)
    h.services.clock = Clock(NOW)


def access_events(h: Harness) -> list[tuple[str, str, str]]:
    with h.store.sessions() as session:
        return [(e.actor_id, e.action, e.target) for e in session.scalars(select(AccessEvent).order_by(AccessEvent.id))]


async def test_stats_answers_gives_staff_counts_only_and_the_pmo_the_questions(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seeded(h)
        staff = await reply_to(h, "stats answers", user=STAFF)
        text = dumps(staff)
        assert "Answer analytics, last 12 week(s)" in staff["text"]
        assert "14 asked · 8 answered (57%) · 1 suggested · 4 declined · 1 redirected" in text
        assert "2026-03-02     10    5    1    3    1  2/1        3" in text
        assert "how do contractors get a badge" not in text
        assert "shown to ICAM PMO members only" in text
        assert access_events(h) == []

        pmo = dumps(await reply_to(h, "stats answers", user=PMO, key="pmo"))
        assert "how do contractors get a badge" in pmo
        assert '=HYPERLINK(\\"http://x\\") what is FICAM' in pmo
        assert "median time from a logged question to its answer 10.0 h (over 3 resolved)" in pmo
        assert access_events(h) == [(PMO, "analytics", "unanswered topics")]


async def test_stats_sends_the_weekly_chart_to_the_callers_dm(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seeded(h)
        reply = await reply_to(h, "stats", user=ESC)
        assert "ICAM tracker statistics" in reply["text"]  # what /icam stats did before is kept
        assert "is in your DM" in dumps(reply["blocks"])
        (ticket,) = h.fake.calls_to("files.getUploadURLExternal")
        assert ticket.params["filename"] == "icam-weekly.png"
        assert ticket.params["alt_txt"].startswith("Two charts over the 12 weeks")
        (upload,) = h.fake.shared_files()
        assert upload.channel == "D" + ESC.lstrip("U")  # the DM conversations.open returned
        assert int(ticket.params["length"]) == len(upload.content)
        image = read_png(upload.content)
        assert image.shape == (2 * HEIGHT, WIDTH, 3)
        assert "Mar 2: 5 answered, 5 not; Mar 9: 2 answered, 1 not" in upload.initial_comment
        (complete,) = h.fake.calls_to("files.completeUploadExternal")
        assert json.loads(complete.params["files"])[0]["title"] == "ICAM questions and tracker items per week"

        refused = await reply_to(h, "stats", user=STAFF, key="staff")
        assert "ICAM PMO and ESC members" in refused["text"]
        assert len(h.fake.calls_to("files.getUploadURLExternal")) == 1  # no chart for whoever may not see stats


async def test_stats_says_so_when_the_chart_cannot_be_sent(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("upload", 403)
        reply = await reply_to(h, "stats", user=PMO)
        assert "could not be sent" in dumps(reply["blocks"])
        assert h.fake.shared_files() == []


async def test_the_pmo_home_shows_answer_analytics(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        seeded(h)
        await h.event(app_home_opened(user=PMO))
        (call,) = await h.fake.wait_for("views.publish")
        view = dumps(call.params["view"])
        assert "Answer analytics" in view
        assert "14 asked · 8 answered (57%)" in view
        await h.event(app_home_opened(user=STAFF), event_id="Ev-home-staff")
        calls = await h.fake.wait_for("views.publish", 2)
        assert "Answer analytics" not in dumps(calls[1].params["view"])
        assert [e for e in access_events(h) if e[1] == "analytics"] == []  # counts only: no question text read


def client(h: Harness):
    return make_web_client("xoxb-test-token", h.fake.api_url)


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


#: Monday 9 March 2026, 09:00 in New York plus a minute: the digest of 2 to 9 March falls due.
DIGEST_DUE = dt.datetime(2026, 3, 9, 13, 1, tzinfo=dt.UTC)


async def test_the_digest_carries_the_weeks_answers_and_its_chart_follows_through_the_outbox(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seed(h.store.engine)
        clock = Clock(DIGEST_DUE)
        task = DigestTask(h.services, client(h), scheduler=digest_scheduler(h.services, clock=clock))
        period = await task.check()
        assert period is not None
        with h.store.sessions() as session:
            (row,) = session.scalars(select(OutboxMessage)).all()
        assert row.topic == "digest"
        assert "figure" in row.payload  # the chart is owed with the digest, in its row
        await h.fake.wait_for("files.completeUploadExternal")
        await wait_until(lambda: DigestRuns(h.store.engine).get(period.key).state is RunState.SENT)
        (digest,) = posts_to(h, PMO_CHANNEL)
        text = dumps(digest["blocks"])
        assert "*Questions this week*" in text
        assert "asked · " in text
        (upload,) = h.fake.shared_files(PMO_CHANNEL)
        assert read_png(upload.content).shape == (2 * HEIGHT, WIDTH, 3)
        assert upload.alt_txt.endswith(NO_RAG_HISTORY)
        assert upload.initial_comment == upload.alt_txt
        # the chart was posted after the digest (its row written when the digest was recorded sent)
        methods = [c.method for c in h.fake.calls if c.method in ("chat.postMessage", "files.getUploadURLExternal")]
        assert methods == ["chat.postMessage", "files.getUploadURLExternal"]
        await wait_until(lambda: h.services.outbox.pending() == 0)
        with h.store.sessions() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.topic, r.status) for r in rows] == [("digest", "sent"), ("upload", "sent")]


def _option(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


async def test_an_issue_logged_from_a_reply_remembers_its_question(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        log_id = h.store.log_question(
            user_id=STAFF, text="why is my badge rejected", decision="abstain", surface="dm", channel_id="C0000CHAN"
        )
        value = encode_value(q=log_id)
        await h.interact(block_actions({"action_id": ActionId.LOG_ISSUE, "value": value}, h.fake.response_url()))
        (opened,) = await h.fake.wait_for("views.open")
        meta = opened.params["view"]["private_metadata"]
        assert json.loads(meta)["question_log_id"] == str(log_id)
        state = modal_state(
            **{
                BlockId.KIND: _option("question"),
                BlockId.PROGRAM: _option("pacs"),
                BlockId.SEVERITY: _option("low"),
                BlockId.BUREAU: _text("HQ"),
                BlockId.TITLE: _text("Badge rejected"),
                BlockId.DESCRIPTION: _text("why is my badge rejected"),
                BlockId.LIKELIHOOD: {"type": "static_select", "selected_option": None},
                BlockId.IMPACT: {"type": "static_select", "selected_option": None},
                BlockId.MITIGATION_OWNER: {"type": "users_select", "selected_user": None},
            }
        )
        status, _ = await h.interact(view_submission(CallbackId.ISSUE_MODAL, state, meta))
        assert status == 200
        with h.store.sessions() as session:
            item = session.scalars(select(TrackerItem)).one()
        assert item.question_log_id == log_id
