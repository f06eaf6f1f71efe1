"""Help-channel mode over signed HTTP: ``/icam listen on|off`` (PMO only, audited, in the database), confident answers
in the thread, silence otherwise, and the messages that are never read (bots, edits, thread replies, mentions)."""

from __future__ import annotations

import asyncio

from fake_slack import BOT_ID, BOT_USER_ID
from slack_harness import Harness, reply_text, serve_app
from slack_requests import channel_message
from sqlalchemy import select

from icam_bot.channels.models import ChannelEvent
from icam_bot.channels.service import ListenService
from icam_bot.inbox.models import PendingQuestion
from icam_bot.questions.models import QuestionLog, UnansweredQuestion

PMO = "U0000PMO01"
HELP = "C0000HELP"
#: Every Web API method through which the bot could make noise in a channel.
NOISY = ("chat.postMessage", "chat.postEphemeral", "reactions.add", "chat.update")


def pending(h: Harness) -> list[PendingQuestion]:
    with h.store.sessions() as session:
        return list(session.scalars(select(PendingQuestion).order_by(PendingQuestion.id)))


def logged(h: Harness) -> list[QuestionLog]:
    with h.store.sessions() as session:
        return list(session.scalars(select(QuestionLog).order_by(QuestionLog.id)))


async def settled(h: Harness, count: int) -> list[PendingQuestion]:
    for _ in range(300):
        rows = pending(h)
        if len(rows) >= count and all(r.status == "answered" for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} answered question(s); have {[(r.id, r.status) for r in pending(h)]}")


def noise(h: Harness) -> list[str]:
    return [c.method for c in h.fake.calls if c.method in NOISY]


async def listen_on(h: Harness, channel: str = HELP) -> None:
    assert "Help-channel mode is on" in await reply_text(h, "listen on", user=PMO, channel=channel)


async def test_only_the_pmo_switches_listening_and_every_switch_is_audited(responder, database_url):
    async with serve_app(responder, database_url, pmo_members=frozenset({PMO})) as h:
        refused = await reply_text(h, "listen on", user="U0000STAFF", channel=HELP, key="k1")
        assert "PMO" in refused
        assert not h.services.listening.is_listened(HELP)
        await listen_on(h)
        assert "already on" in await reply_text(h, "listen on", user=PMO, channel=HELP, key="k2")
        assert "already on" in await reply_text(h, "listen", user=PMO, channel=HELP, key="k3")
        assert "Usage" in await reply_text(h, "listen maybe", user=PMO, channel=HELP, key="k4")
        assert "public channels" in await reply_text(h, "listen on", user=PMO, channel="D0000DM01", key="k5")
        # another replica (a new service on the same database) sees the setting
        assert ListenService(h.store.engine).is_listened(HELP)
        assert "is off" in await reply_text(h, "listen off", user=PMO, channel=HELP, key="k6")
        assert not ListenService(h.store.engine).is_listened(HELP)
        events = [(e.actor_id, e.action, e.before, e.after) for e in h.services.listening.events(HELP)]
        assert events == [(PMO, "listen_on", "off", "on"), (PMO, "listen_off", "on", "off")]
        with h.store.sessions() as session:
            assert session.scalar(select(ChannelEvent.channel_id).where(ChannelEvent.actor_id == "U0000STAFF")) is None


async def test_a_confident_answer_goes_in_the_thread_and_the_question_is_logged(responder, database_url, questions):
    async with serve_app(responder, database_url, pmo_members=frozenset({PMO})) as h:
        await listen_on(h)
        ts = "1700000100.000100"
        assert await h.event(channel_message(questions.answer, ts=ts), "EvHELP00001") == 200
        (row,) = await settled(h, 1)
        assert (row.surface, row.thread_ts, row.channel_id) == ("channel", ts, HELP)
        (post,) = await h.fake.wait_for("chat.postMessage")
        assert (post.params["channel"], post.params["thread_ts"]) == (HELP, ts)
        # Slack retrying the event answers nothing twice
        assert await h.event(channel_message(questions.answer, ts=ts), "EvHELP00001", retry=1) == 200
        await asyncio.sleep(0.3)
        assert len(h.fake.calls_to("chat.postMessage")) == 1
        (log,) = logged(h)
        assert (log.surface, log.channel_id, log.decision) == ("channel", HELP, "answer")


async def test_stays_silent_when_not_confident_but_logs_the_question_for_the_gap_queue(
    responder, database_url, questions
):
    async with serve_app(responder, database_url, pmo_members=frozenset({PMO})) as h:
        await listen_on(h)
        before = noise(h)
        texts = [questions.suggest, questions.abstain, questions.abstain_related, questions.redirect]
        for n, text in enumerate(texts):
            await h.event(channel_message(text, ts=f"1700000200.00010{n}"), f"EvQUIET0000{n}")
        await settled(h, len(texts))
        await asyncio.sleep(0.3)
        assert noise(h) == before  # no "did you mean", no "I don't know", no reaction, nothing
        assert [(r.surface, r.decision) for r in logged(h)] == [
            ("channel", "suggest"),
            ("channel", "abstain"),
            ("channel", "abstain"),
            ("channel", "redirect"),  # the question log keeps a redirect as its own decision (analytics)
        ]
        with h.store.sessions() as session:
            unanswered = list(session.scalars(select(UnansweredQuestion.text)))
        assert questions.abstain in unanswered  # the gap queue sees what the channel asked
        exposition = h.services.metrics.exposition().decode()
        assert 'icam_bot_questions_total{decision="silent"} 4.0' in exposition


async def test_a_stricter_bar_keeps_even_answers_to_itself(responder, database_url, questions):
    env = {"ICAM_LISTEN_MIN_CONFIDENCE": "1"}
    async with serve_app(responder, database_url, pmo_members=frozenset({PMO}), extra_env=env) as h:
        assert (responder.ask(questions.answer).confidence or 0) < 1
        await listen_on(h)
        before = noise(h)
        await h.event(channel_message(questions.answer), "EvSTRICT001")
        await settled(h, 1)
        await asyncio.sleep(0.3)
        assert noise(h) == before
        assert [r.decision for r in logged(h)] == ["answer"]


async def test_bots_edits_thread_replies_mentions_and_unlistened_channels_are_not_read(
    responder, database_url, questions
):
    async with serve_app(responder, database_url, pmo_members=frozenset({PMO})) as h:
        await listen_on(h)
        before = noise(h)
        question = questions.answer
        ignored = [
            channel_message(question, bot_id="B0000OTHER"),  # another bot
            channel_message(question, user=BOT_USER_ID, bot_id=BOT_ID),  # its own message
            channel_message(question, subtype="message_changed"),  # an edit
            channel_message(question, ts="1700000300.000200", thread_ts="1700000300.000100"),  # a thread reply
            channel_message(f"<@{BOT_USER_ID}> {question}"),  # a mention: the app_mention event answers that
            channel_message(question, channel="C0000QUIET"),  # a channel nobody switched on
        ]
        for n, event in enumerate(ignored):
            assert await h.event(event, f"EvIGNORE000{n}") == 200
        await asyncio.sleep(0.5)
        assert pending(h) == []
        assert logged(h) == []
        assert noise(h) == before
