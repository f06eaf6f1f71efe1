"""The work that follows a question's ack, run in an answer worker: the core's answer service answers and logs
the question; this renders the reply and sends it to Slack.

A worker process does the whole of it, so the process that acks Slack spends almost nothing per question and
keeps acking within its budget under a burst; answers follow as fast as the CPU allows. Replies go out with
slack_sdk's synchronous clients and the same retry policy as the async sender (429 Retry-After, dropped
connections, 5xx); a reply that still fails is logged with its context and reported back, never dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from handlers.answers.blocks import answer_message
from handlers.common.blocks import ERROR_TEXT, text_message
from handlers.runtime.answer_lookup import AnswerLookup, answer_metadata
from handlers.runtime.retry_policy import policy_handlers
from icam_bot.answers import Reply, Responder
from icam_bot.config import Settings
from icam_bot.db import make_engine
from icam_bot.inbox.service import QuestionInbox
from icam_bot.logs import context_fields, log_context
from icam_bot.matching.engine import Decision
from icam_bot.questions.answering import AnswerService, Asker
from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)

SEND_TIMEOUT_S = 30


class AnswerJob(NamedTuple):
    """One question to answer and where the reply goes: a response_url, else the channel (thread).

    A tuple of strings, so a long queue of jobs costs the garbage collector next to nothing.
    """

    question: str
    user_id: str
    channel_id: str | None
    surface: str
    response_url: str | None = None
    thread_ts: str | None = None
    #: The request's logging context (request id, command, user), so the worker's log lines carry it.
    log_fields: tuple[tuple[str, object], ...] = ()
    #: The stored question (pending_questions) this job answers, and the replica holding it; None when the
    #: question could not be stored (the database was down at the ack): then its record waits in the spool.
    question_id: int | None = None
    owner: str | None = None
    #: How long the worker holds the question while answering it (then another replica may take it over).
    answer_lease_s: float = 60.0
    #: The holder's lease epoch (the worker answers and sends only while ``owner`` holds it at this epoch).
    epoch: int = 1
    #: When the app received the question (Unix time; 0 = unknown), for the question-to-answer latency.
    received_at: float = 0.0
    #: When an earlier holder claimed the reply's send (Unix time; 0 = never): the reply is looked for first.
    sent_since: float = 0.0


#: What became of a job that was not answered: another replica or worker has the question, or the database
#: could not say (the question stays stored and is taken over when its lease runs out).
SKIPPED = "skipped"
DEFERRED = "deferred"
#: Questions read in a help channel: the reply is posted only when it is a confident answer (else silence).
QUIET_SURFACE = "channel"
#: What a help channel's question got when the bot stayed silent (counted in icam_bot_questions_total).
SILENT = "silent"


def confident(reply: Reply, min_confidence: float) -> bool:
    """Whether a help channel hears this reply: an ``answer`` decision and, with a stricter bar (above 0), the
    matcher's confidence at least ``min_confidence`` (an answer whose confidence is unknown does not pass it)."""
    if reply.decision is not Decision.ANSWER or reply.entry is None:
        return False
    return min_confidence <= 0 or (reply.confidence is not None and reply.confidence >= min_confidence)


@dataclass(frozen=True)
class AnswerOutcome:
    """What became of a job, for the metrics of the process that acked."""

    decision: str
    delivered: bool
    retries: int = 0
    failed_call: str | None = None
    #: The question's record when the database did not take it (the acking process spools it for later).
    unrecorded: dict[str, Any] | None = None
    #: (question id, owner, epoch) when the reply was sent but the database did not take the answered mark.
    unsettled: tuple[int, str, int] | None = None


class _Counting(RetryHandler):
    """Wraps a retry handler and counts the retries it makes."""

    def __init__(self, inner: RetryHandler, tally: list[int]) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner
        self.tally = tally

    def _can_retry(self, **attempt: Any) -> bool:
        return self.inner._can_retry(**attempt)

    def prepare_for_next_attempt(self, **attempt: Any) -> None:
        self.tally[0] += 1
        self.inner.prepare_for_next_attempt(**attempt)


def sync_retry_handlers(tally: list[int]) -> list[RetryHandler]:
    """The Slack retry policy (handlers/runtime/retry_policy.py) for the synchronous clients; retries are added
    to ``tally[0]``."""
    handlers = policy_handlers(RateLimitErrorRetryHandler, ConnectionErrorRetryHandler, ServerErrorRetryHandler)
    return [_Counting(handler, tally) for handler in handlers]


class AnswerWorker:
    """Answers jobs: one per worker process (or one in the acking process when answering in a thread)."""

    def __init__(
        self,
        responder: Responder,
        store: Store,
        token: str | None,
        api_url: str | None,
        listen_min_confidence: float = 0.0,
    ) -> None:
        self.answers = AnswerService(responder, store)
        #: ICAM_LISTEN_MIN_CONFIDENCE: the bar a help channel's answer must reach beyond the matcher's own.
        self.listen_min_confidence = listen_min_confidence
        self.inbox = QuestionInbox(store.engine)
        #: Retries made by this worker's clients so far (a job's retries are the difference it makes).
        self._retries = [0]
        self._retry_handlers = sync_retry_handlers(self._retries)
        kwargs: dict[str, Any] = {"token": token, "timeout": SEND_TIMEOUT_S, "retry_handlers": self._retry_handlers}
        if api_url:
            kwargs["base_url"] = api_url
        self._client = WebClient(**kwargs)
        self.lookup = AnswerLookup()

    def __call__(self, job: AnswerJob) -> AnswerOutcome:
        with log_context(**dict(job.log_fields)):
            return self._answer(job)

    def _answer(self, job: AnswerJob) -> AnswerOutcome:
        if job.question_id is not None and job.owner is not None:
            try:
                started = self.inbox.start_answering(
                    job.question_id, job.owner, epoch=job.epoch, lease_s=job.answer_lease_s
                )
                if not started:
                    logger.info("question %d is answered elsewhere; skipped", job.question_id)
                    return AnswerOutcome(SKIPPED, delivered=False)
            except SQLAlchemyError:
                logger.warning("question %d waits for the database (answered when it returns)", job.question_id)
                return AnswerOutcome(DEFERRED, delivered=False)
        unrecorded: dict[str, Any] | None = None
        quiet = job.surface == QUIET_SURFACE
        try:
            answered = self.answers.answer(job.question, Asker(job.user_id, job.surface, job.channel_id))
            message: dict[str, Any] | None = answer_message(answered.reply, answered.log_id)
            decision = answered.reply.kind  # answer / suggest / abstain / redirect
            unrecorded = answered.unrecorded.as_dict() if answered.unrecorded else None
            if quiet and not confident(answered.reply, self.listen_min_confidence):
                message, decision = None, SILENT  # logged (the gap queue sees it); nothing is said in the channel
        except Exception:
            logger.exception("answering failed (user=%s surface=%s)", job.user_id, job.surface)
            message, decision = (None if quiet else text_message(ERROR_TEXT)), "error"
        fenced = self._claim_send(job)
        if fenced is not None:
            return fenced
        retries_before = self._retries[0]
        if message is None:  # a help channel's question the bot is not sure of: silence, and the question is done
            delivered, call = True, "none"
        elif job.response_url:
            delivered, call = self._respond(job.response_url, message), "response_url"
        else:
            delivered, call = self._post(job, message), "chat.postMessage"
        return AnswerOutcome(
            decision,
            delivered and message is not None,  # silence is no reply: no answer latency
            self._retries[0] - retries_before,
            None if delivered else call,
            unrecorded,
            self._settle(job, delivered),
        )

    def _claim_send(self, job: AnswerJob) -> AnswerOutcome | None:
        """Claim the reply's send (a stored question: only while its holder still has it); None when it may be
        sent, else what became of the job (taken over meanwhile: skipped; the database silent: deferred, the
        question answered again from the store once its lease runs out)."""
        if job.question_id is None or job.owner is None:
            return None
        try:
            if self.inbox.claim_send(job.question_id, job.owner, epoch=job.epoch, lease_s=job.answer_lease_s):
                return None
        except SQLAlchemyError:
            logger.warning("question %d: its send could not be claimed (database unavailable)", job.question_id)
            return AnswerOutcome(DEFERRED, delivered=False)
        return AnswerOutcome(SKIPPED, delivered=False)

    def _settle(self, job: AnswerJob, delivered: bool) -> tuple[int, str, int] | None:
        """Mark the stored question answered (or due for another try). When the database does not take the
        mark, (id, owner, epoch) is returned for the acking process to write when the database is back."""
        if job.question_id is None or job.owner is None:
            return None
        try:
            if delivered:
                self.inbox.answered(job.question_id, job.owner, epoch=job.epoch)
            else:
                self.inbox.not_delivered(job.question_id, job.owner, epoch=job.epoch)
        except SQLAlchemyError:
            logger.warning("question %d answered; its mark waits for the database", job.question_id)
            return (job.question_id, job.owner, job.epoch) if delivered else None
        return None

    def _respond(self, url: str, message: dict[str, Any]) -> bool:
        webhook = WebhookClient(url, timeout=SEND_TIMEOUT_S, retry_handlers=self._retry_handlers)
        try:
            response = webhook.send_dict({"response_type": "ephemeral", **message})
        except OSError:
            logger.exception("response_url post failed after retries")
            return False
        if response.status_code != 200:
            logger.error("response_url post failed with HTTP %s after retries", response.status_code)
            return False
        return True

    def _post(self, job: AnswerJob, message: dict[str, Any]) -> bool:
        if not job.channel_id:
            logger.error("cannot reply: the %s carried no channel", job.surface)
            return False
        extra: dict[str, Any] = {"thread_ts": job.thread_ts} if job.thread_ts else {}
        if job.question_id is not None:
            if job.sent_since:  # an earlier holder may have posted it: look first
                found = self.lookup.posted(self._client, job.channel_id, job.thread_ts, job.question_id, job.sent_since)
                if found:
                    logger.info("question %d was answered by an earlier holder; not sent again", job.question_id)
                    return True
                if found is None:
                    return False  # answered again from the store later
            extra["metadata"] = answer_metadata(job.question_id)
        try:
            self._client.chat_postMessage(channel=job.channel_id, **extra, **message)
        except (SlackApiError, OSError):
            logger.exception("chat.postMessage failed after retries (channel=%s)", job.channel_id)
            return False
        return True


def with_log_context(job: AnswerJob) -> AnswerJob:
    """The job carrying the current logging context (call it while the request is being handled)."""
    return job._replace(log_fields=tuple(context_fields().items()))


def make_answer_worker(settings: Settings | None, responder: Responder, store: Store | None) -> AnswerWorker:
    """The AnswerPool's job runner factory: a worker process opens its own database engine."""
    if store is None:
        assert settings is not None, "a worker process needs the settings to reach the database"
        store = Store(make_engine(settings.database_url))
    token = settings.slack_bot_token if settings else None
    api_url = settings.slack_api_url if settings else None
    return AnswerWorker(responder, store, token, api_url, settings.listen_min_confidence if settings else 0.0)
