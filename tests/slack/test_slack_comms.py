"""Announcements, subscriptions and the weekly digest in Slack: signed requests in, Web API calls on the fake out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from fake_clock import Clock
from fake_slack import FakeSlack
from slack_harness import Harness, posts_to, reply_text, serve_app
from slack_requests import modal_state, view_submission
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.ids import BlockId, CallbackId
from handlers.common.text import MODAL_TITLE_LIMIT, VIEW_BLOCK_LIMIT
from handlers.comms.blocks import load_preview_metadata
from handlers.comms.digest import DigestTask, digest_scheduler
from handlers.runtime.sender import make_web_client
from icam_bot.comms.models import ALL_PROGRAMS
from icam_bot.comms.runs import DigestRuns, RunState

STAFF = "U0000STAFF"
PMO = "U0EXAMPLEPM1"
PMO_CHANNEL = "C0EXAMPLEPMO"
TEAM_CHANNEL = "C0TEAM0001"


def composed(audience: str = ALL_PROGRAMS, body: str | None = "Badge readers in HQ are down Friday.", headline=None):
    return {
        BlockId.AUDIENCE: {"type": "static_select", "selected_option": {"value": audience}},
        BlockId.HEADLINE: {"type": "plain_text_input", "value": headline},
        BlockId.BODY: {"type": "plain_text_input", "value": body},
    }


# -- subscriptions ------------------------------------------------------------------------------------------


async def test_subscribe_posts_a_notice_in_the_channel_and_unsubscribe_removes_it(responder, database_url):
    async with serve_app(responder, database_url) as h:
        subs = h.services.comms.subscriptions
        text = await reply_text(h, "subscribe Credentialing (PIV / derived credentials)", channel=TEAM_CHANNEL)
        assert "now receives Credentialing (PIV / derived credentials) announcements" in text
        (notice,) = posts_to(h, "C0TEAM0001")
        assert f"<@{STAFF}> subscribed this channel" in notice["text"]
        assert [(s.program, s.subscribed_by) for s in subs.of_channel("C0TEAM0001")] == [("credentialing", STAFF)]
        assert "already receives" in await reply_text(h, "subscribe credentialing", channel=TEAM_CHANNEL)
        assert len(posts_to(h, "C0TEAM0001")) == 1  # no second notice
        assert "now receives all ICAM PMO announcements" in await reply_text(h, "subscribe", channel=TEAM_CHANNEL)
        listing = await reply_text(h, "subscriptions", channel=TEAM_CHANNEL)
        assert "all ICAM PMO announcements" in listing
        assert "Credentialing" in listing
        assert "no longer receives" in await reply_text(h, "unsubscribe", channel=TEAM_CHANNEL)
        assert subs.of_channel("C0TEAM0001") == []
        assert "unsubscribed this channel" in posts_to(h, "C0TEAM0001")[-1]["text"]
        assert "was not subscribed" in await reply_text(h, "unsubscribe pacs", channel=TEAM_CHANNEL)


async def test_a_channel_the_bot_is_not_in_is_not_subscribed(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.channel_errors["C0NOTIN001"] = "not_in_channel"
        text = await reply_text(h, "subscribe", channel="C0NOTIN001")
        assert "I am not a member of this channel" in text
        assert "/invite @icam-bot" in text
        assert h.services.comms.subscriptions.of_channel("C0NOTIN001") == []


async def test_bad_subscription_input_changes_nothing(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        text = await reply_text(h, "subscribe <!channel> nonsense", channel=TEAM_CHANNEL)
        assert "I don't know the program" in text
        assert "`credentialing`" in text
        assert "<!channel>" not in text
        assert "not direct messages" in await reply_text(h, "subscribe", channel="D0000DM01")
        assert h.services.comms.subscriptions.audience(ALL_PROGRAMS) == []
        assert h.fake.calls_to("chat.postMessage") == []


# -- announcements ------------------------------------------------------------------------------------------


async def test_only_the_pmo_may_announce(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        assert "Only ICAM PMO members" in await reply_text(h, "announce hello", user=STAFF, channel=TEAM_CHANNEL)
        status, body = await h.interact(
            view_submission(CallbackId.ANNOUNCE_MODAL, modal_state(**composed()), user=STAFF)
        )
        assert status == 200
        assert "Only ICAM PMO members" in json.loads(body)["errors"][BlockId.BODY]
        assert h.fake.calls_to("views.open") == []


async def test_announce_opens_the_composer_with_each_audience_and_its_reach(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        subs = h.services.comms.subscriptions
        subs.subscribe("C0ALL00001", ALL_PROGRAMS, STAFF)
        subs.subscribe("C0CRED0001", "credentialing", STAFF)
        status, _ = await h.command("announce Readers down Friday", user=PMO)
        assert status == 200
        (call,) = await h.fake.wait_for("views.open")
        view = call.params["view"]
        assert view["callback_id"] == CallbackId.ANNOUNCE_MODAL
        assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
        blocks = {b["block_id"]: b for b in view["blocks"]}
        options = {o["value"]: o["text"]["text"] for o in blocks[BlockId.AUDIENCE]["element"]["options"]}
        assert options["all"] == "All subscribed channels (2)"
        assert options["credentialing"].endswith("(2 channels)")
        assert options["pacs"].endswith("(1 channels)")
        assert blocks[BlockId.BODY]["element"]["initial_value"] == "Readers down Friday"
        assert blocks[BlockId.HEADLINE]["optional"] is True


async def test_an_announcement_over_slacks_limits_is_refused_in_the_form_before_sending(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.services.comms.subscriptions.subscribe("C0ALL00001", ALL_PROGRAMS, STAFF)
        too_long = composed(body="x" * 3001, headline="H" * 151)
        status, body = await h.interact(view_submission(CallbackId.ANNOUNCE_MODAL, modal_state(**too_long), user=PMO))
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "errors"
        assert "3,001 characters" in reply["errors"][BlockId.BODY]
        assert "151 characters" in reply["errors"][BlockId.HEADLINE]
        status, body = await h.interact(
            view_submission(CallbackId.ANNOUNCE_MODAL, modal_state(**composed(body="   ")), user=PMO)
        )
        assert "empty" in json.loads(body)["errors"][BlockId.BODY]
        long_command = await reply_text(h, "announce " + "y" * 3001, user=PMO, channel=TEAM_CHANNEL)
        assert "3,001 characters" in long_command
        await asyncio.sleep(0.1)
        assert h.fake.calls_to("chat.postMessage") == []
        assert h.fake.calls_to("views.open") == []


async def test_an_audience_nobody_subscribed_to_is_refused_in_the_form(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        status, body = await h.interact(
            view_submission(CallbackId.ANNOUNCE_MODAL, modal_state(**composed(audience="pacs")), user=PMO)
        )
        assert status == 200
        assert "No channel is subscribed" in json.loads(body)["errors"][BlockId.AUDIENCE]


async def test_preview_then_send_posts_to_every_channel_records_it_and_reports_lost_channels(responder, database_url):
    async with serve_app(responder, database_url) as h:
        comms = h.services.comms
        for channel in ("C0ALL00001", "C0ARCHIVED", "C0GONE0001"):
            comms.subscriptions.subscribe(channel, ALL_PROGRAMS, STAFF)
        comms.subscriptions.subscribe("C0CRED0001", "credentialing", STAFF)
        comms.subscriptions.subscribe("C0PACS0001", "pacs", STAFF)
        h.fake.channel_errors.update({"C0ARCHIVED": "is_archived", "C0GONE0001": "channel_not_found"})
        text = "Readers in HQ are down <!channel> Friday & Saturday."
        status, body = await h.interact(
            view_submission(
                CallbackId.ANNOUNCE_MODAL, modal_state(**composed("credentialing", text, "Reader outage")), user=PMO
            )
        )
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "push"
        preview = reply["view"]
        assert preview["callback_id"] == CallbackId.ANNOUNCE_PREVIEW
        assert preview["submit"]["text"] == "Send now"
        assert len(preview["blocks"]) <= VIEW_BLOCK_LIMIT
        shown = json.dumps(preview)
        assert "Will be posted to 4 channel(s)" in shown
        assert "<#C0CRED0001>" in shown
        assert "C0PACS0001" not in shown
        assert "<!channel>" not in shown
        assert h.fake.calls_to("chat.postMessage") == []  # a preview sends nothing
        announcement_id = load_preview_metadata(preview["private_metadata"])

        status, body = await h.interact(
            view_submission(CallbackId.ANNOUNCE_PREVIEW, modal_state(), preview["private_metadata"], user=PMO)
        )
        assert status == 200
        assert json.loads(body) == {"response_action": "clear"}
        await h.fake.wait_for("chat.postMessage", 4)  # 2 channels, the author's report, the PMO channel
        for channel in ("C0ALL00001", "C0CRED0001"):
            (post,) = posts_to(h, channel)
            assert post["blocks"][0] == {
                "type": "header",
                "text": {"type": "plain_text", "text": "Reader outage", "emoji": True},
            }
            assert "&lt;!channel&gt; Friday &amp; Saturday" in json.dumps(post)
        tried = [c.params["channel"] for c in h.fake.attempts("chat.postMessage")]
        assert {"C0ARCHIVED", "C0GONE0001"} <= set(tried)
        assert "C0PACS0001" not in tried
        (report,) = posts_to(h, PMO)
        assert "posted to 2 of 4 channel(s)" in report["text"]
        assert "is_archived" in json.dumps(report)
        (problems,) = posts_to(h, PMO_CHANNEL)
        assert "could not be posted to 2 channel(s)" in problems["text"]
        assert "channel_not_found" in json.dumps(problems)
        deliveries = {d.channel_id: (d.status, d.error) for d in comms.announcements.deliveries(announcement_id)}
        assert deliveries == {
            "C0ALL00001": ("sent", None),
            "C0ARCHIVED": ("failed", "is_archived"),
            "C0CRED0001": ("sent", None),
            "C0GONE0001": ("failed", "channel_not_found"),
        }
        assert comms.subscriptions.audience(ALL_PROGRAMS) == ["C0ALL00001", "C0CRED0001", "C0PACS0001"]
        assert comms.announcements.get(announcement_id).status == "sent"

        # a replayed confirmation (double click, Slack retry) sends nothing again
        sent_before = len(h.fake.attempts("chat.postMessage"))
        await h.interact(
            view_submission(CallbackId.ANNOUNCE_PREVIEW, modal_state(), preview["private_metadata"], user=PMO)
        )
        await asyncio.sleep(0.2)
        assert len(h.fake.attempts("chat.postMessage")) == sent_before


async def test_someone_else_cannot_send_a_pmo_members_draft(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.services.comms.subscriptions.subscribe("C0ALL00001", ALL_PROGRAMS, STAFF)
        _, body = await h.interact(view_submission(CallbackId.ANNOUNCE_MODAL, modal_state(**composed()), user=PMO))
        metadata = json.loads(body)["view"]["private_metadata"]
        status, body = await h.interact(
            view_submission(CallbackId.ANNOUNCE_PREVIEW, modal_state(), metadata, user="U0EXAMPLEPM2")
        )
        assert status == 200
        await asyncio.sleep(0.2)
        assert h.fake.calls_to("chat.postMessage") == []


# -- the weekly digest ---------------------------------------------------------------------------------------


def client(h: Harness) -> AsyncWebClient:
    """A Web API client on the fake, as the server's own."""
    return make_web_client("xoxb-test-token", h.fake.api_url)


#: Monday 2 March 2026 09:00 in New York (the default schedule), plus a minute.
DIGEST_DUE = dt.datetime(2026, 3, 2, 14, 1, tzinfo=dt.UTC)


async def test_two_digest_tasks_at_the_due_time_post_one_digest_to_the_pmo_channel(responder, database_url):
    async with serve_app(responder, database_url) as h:
        clock = Clock(DIGEST_DUE)
        tasks = [
            DigestTask(h.services, client(h), scheduler=digest_scheduler(h.services, clock=clock, owner=o))
            for o in ("replica-a", "replica-b")
        ]
        results = await asyncio.gather(*(t.check() for t in tasks))
        assert sorted(r.key if r else "-" for r in results) == ["-", "2026-W10"]
        await h.fake.wait_for("chat.postMessage")
        await wait_until(lambda: DigestRuns(h.store.engine).get("2026-W10").state is RunState.SENT)
        (digest,) = posts_to(h, PMO_CHANNEL)
        assert digest["blocks"][0]["text"]["text"] == "ICAM PMO weekly digest 2026-W10"
        assert "*Status board*" in json.dumps(digest)
        run = DigestRuns(h.store.engine).get("2026-W10")
        assert (run.state, run.channel_id) == (RunState.SENT, PMO_CHANNEL)
        assert run.message_ts is not None
        clock.now += dt.timedelta(hours=2)
        assert await tasks[0].check() is None
        await asyncio.sleep(0.1)
        assert len(posts_to(h, PMO_CHANNEL)) == 1


async def test_a_digest_slack_refuses_is_recorded_and_retried(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        clock = Clock(DIGEST_DUE)
        task = DigestTask(h.services, client(h), scheduler=digest_scheduler(h.services, clock=clock))
        h.fake.channel_errors[PMO_CHANNEL] = "not_in_channel"
        assert (await task.check()).key == "2026-W10"  # queued; the outbox learns Slack's answer
        runs = DigestRuns(h.store.engine)
        await wait_until(lambda: runs.get("2026-W10").state is RunState.CLAIMED)
        run = runs.get("2026-W10")
        assert (run.state, run.last_error) == (RunState.CLAIMED, "not_in_channel")
        del h.fake.channel_errors[PMO_CHANNEL]  # the PMO invites the bot back
        clock.now += dt.timedelta(minutes=1)
        assert (await task.check()).key == "2026-W10"
        await h.fake.wait_for("chat.postMessage")
        await wait_until(lambda: runs.get("2026-W10").state is RunState.SENT)
        assert runs.get("2026-W10").attempts == 2
        assert len(posts_to(h, PMO_CHANNEL)) == 1


async def test_a_replica_that_dies_after_queueing_the_digest_leaves_it_to_another(responder, database_url):
    """Replica A claims the week and queues its post (one transaction), then dies before its dispatcher posts
    it (A's dispatcher is stopped; another Services on the same database delivers): one post, never two."""
    fake = await FakeSlack().start()
    try:
        clock = Clock(DIGEST_DUE)
        async with serve_app(responder, database_url, fake=fake) as a:
            await a.services.outbox_task.stop()  # A "dies" before its dispatcher sends anything
            task = DigestTask(a.services, client(a), scheduler=digest_scheduler(a.services, clock=clock, owner="a"))
            assert (await task.scheduler.queue(task.enqueue)).key == "2026-W10"
            assert DigestRuns(a.store.engine).get("2026-W10").state is RunState.QUEUED
            assert a.services.outbox.pending() == 1
        assert fake.calls_to("chat.postMessage") == []
        async with serve_app(responder, database_url, fake=fake) as b:
            (call,) = await fake.wait_for("chat.postMessage")
            assert call.params["channel"] == PMO_CHANNEL
            assert "weekly digest 2026-W10" in call.params["text"]
            runs = DigestRuns(b.store.engine)
            await wait_until(lambda: runs.get("2026-W10").state is RunState.SENT)
            other = DigestTask(b.services, client(b), scheduler=digest_scheduler(b.services, clock=clock))
            assert await other.check() is None  # the week is taken: not composed nor queued again
            await asyncio.sleep(0.3)
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        await fake.stop()


async def test_a_replica_that_dies_between_the_claim_and_the_queueing_loses_no_digest(responder, database_url):
    """Replica A claims the week and dies before queueing its post: nothing is owed yet, and once the claim's
    lease runs out another replica claims, queues and posts it, once."""
    fake = await FakeSlack().start()
    try:
        clock = Clock(DIGEST_DUE)
        async with serve_app(responder, database_url, fake=fake) as a:
            assert DigestRuns(a.store.engine, clock=clock).claim("2026-W10", "a")  # ... and A is killed here
            assert a.services.outbox.pending() == 0
        async with serve_app(responder, database_url, fake=fake) as b:
            runs = DigestRuns(b.store.engine)
            task = DigestTask(b.services, client(b), scheduler=digest_scheduler(b.services, clock=clock, owner="b"))
            assert await task.check() is None  # A's lease still holds
            clock.now += dt.timedelta(minutes=11)
            assert (await task.check()).key == "2026-W10"
            await fake.wait_for("chat.postMessage")
            await wait_until(lambda: runs.get("2026-W10").state is RunState.SENT)
            assert (runs.get("2026-W10").owner, runs.get("2026-W10").attempts) == ("b", 2)
            assert await task.check() is None
            await asyncio.sleep(0.3)
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        await fake.stop()


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_the_server_runs_the_digest_task_and_posts_when_the_digest_falls_due(responder, sqlite_url):
    before = Clock(DIGEST_DUE - dt.timedelta(minutes=2))
    async with serve_app(responder, sqlite_url, digest_check_seconds=0.05, clock=before) as h:
        comms = h.services.comms
        await asyncio.sleep(0.3)
        assert posts_to(h, PMO_CHANNEL) == []  # not due yet
        comms.clock = Clock(DIGEST_DUE)
        (call,) = await h.fake.wait_for("chat.postMessage")
        digest = call.params
        assert digest["channel"] == PMO_CHANNEL
        assert "weekly digest 2026-W10" in digest["text"]
        await asyncio.sleep(0.3)  # later checks find the period sent
        assert len(posts_to(h, PMO_CHANNEL)) == 1
