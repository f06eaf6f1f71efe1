"""The app factory: one AsyncApp per call, wired to the core services (no global App)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from slack_bolt.async_app import AsyncApp

from handlers import answers, board, channels, comms, home, slash, teaching, tracker
from handlers.common.hooks import Hooks
from handlers.runtime import middleware
from handlers.runtime.metrics import Metrics
from handlers.runtime.sender import Sender, make_web_client
from handlers.runtime.worker import make_answer_worker
from handlers.services import Services
from handlers.settings import SlackSettings
from icam_bot.answer_pool import AnswerPool
from icam_bot.answers import Responder
from icam_bot.board.service import BoardService
from icam_bot.comms.service import Communications
from icam_bot.config import Settings
from icam_bot.db.base import utcnow
from icam_bot.programs.routing import ProgramsConfig, load_programs
from icam_bot.questions.store import Store
from icam_bot.teaching.live import LiveKnowledge
from icam_bot.tracker.service import TrackerService
from icam_bot.webhooks.settings import WebhookSettings

logger = logging.getLogger(__name__)

#: Every domain's listeners, registered on each app.
DOMAINS = (slash, tracker, answers, home, comms, board, channels, teaching)


def create_app(
    settings: Settings,
    responder: Responder,
    store: Store,
    slack_settings: SlackSettings | None = None,
    *,
    programs: ProgramsConfig | None = None,
    tracker: TrackerService | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> AsyncApp:
    """A Bolt AsyncApp with request verification on, acking before slow work, talking to SLACK_API_URL.

    The tracker shares the store's engine; ``programs`` defaults to ``load_programs()`` (ProgramsError if the
    routing file is broken). ICAM_PMO_MEMBERS are added to the routing file's PMO members. ``clock`` (default: the
    given tracker's, else the wall clock) dates everything the app and the core services it builds do.
    """
    slack_settings = slack_settings or SlackSettings()
    clock = clock or (tracker.clock if tracker is not None else utcnow)
    if tracker is None:
        routing = with_pmo_members(programs or load_programs(), slack_settings)
        tracker = TrackerService(store.engine, routing, clock=clock)
    metrics = Metrics()
    client = make_web_client(settings.slack_bot_token, settings.slack_api_url, on_retry=metrics.slack_retry)
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=False,
        name="icam-bot",
    )
    pool = AnswerPool(responder, settings, settings.answer_workers, job_runner=make_answer_worker, store=store)
    services = Services(
        responder=responder,
        store=store,
        slack=slack_settings,
        sender=Sender(metrics),
        tracker=tracker,
        answer_pool=pool,
        metrics=metrics,
        comms=Communications.create(
            store.engine, settings, tracker.programs.pmo_channel, clock=clock, programs=tracker.programs
        ),
        board=BoardService(tracker.sessions, tracker.programs, clock=clock),
        client=client,
        retention=settings.retention,
        clock=clock,
        hooks=domain_hooks(),
        webhook_settings=WebhookSettings.from_env(),
        spool_dir=settings.spool_dir,
        live=LiveKnowledge(responder, store.engine, settings.kb_watch_seconds, retire=True),
    )
    services.live.refresh(force=True)  # live knowledge taught from Slack, before the first question
    metrics.describe_matcher(responder)
    metrics.watch_answer_queue(services.answer_queue_depth)
    metrics.watch_answer_workers(pool.worker_pids)
    metrics.watch_outbox(services.outbox_backlog)
    middleware.install(app, services)
    for domain in DOMAINS:
        domain.register(app)
    app._icam_services = services  # type: ignore[attr-defined]  # for shutdown (closing the sender)
    return app


def domain_hooks() -> Hooks:
    """The listeners one domain offers the others (imported here, when the app is built)."""
    from handlers.home.tab import publish_home
    from handlers.tracker.flows import open_issue_form

    return Hooks(publish_home=publish_home, open_issue_form=open_issue_form)


def services_of_app(app: AsyncApp) -> Services:
    services = getattr(app, "_icam_services", None)
    assert isinstance(services, Services)
    return services


def with_pmo_members(programs: ProgramsConfig, slack_settings: SlackSettings) -> ProgramsConfig:
    """The routing config with ICAM_PMO_MEMBERS added to its PMO members (one list for every permission check)."""
    if not slack_settings.pmo_members:
        return programs
    return dataclasses.replace(programs, pmo_members=programs.pmo_members | slack_settings.pmo_members)
