"""``/icam stats answers`` and the weekly chart ``/icam stats`` sends to the caller's DM (replies for the registry)."""

from __future__ import annotations

import asyncio
import logging

from handlers.analytics.blocks import answers_message
from handlers.services import Services
from handlers.slash.registry import Call, Message
from icam_bot.analytics.figures import Figure, weekly_figure
from icam_bot.errors import IcamError
from icam_bot.tracker.permissions import require_stats_access

logger = logging.getLogger(__name__)


async def answers(call: Call) -> Message:
    """The answer report of the last 12 weeks: counts for anyone, the unanswered questions' text for the PMO."""
    report = await asyncio.to_thread(call.services.analytics.report, actor=call.user)
    return answers_message(report)


def _figure(services: Services) -> Figure:
    with services.tracker.sessions() as session:
        return weekly_figure(session, services.clock())


def may_see_stats(services: Services, user: str) -> bool:
    """Whoever may read the tracker statistics (PMO and ESC) gets their chart."""
    try:
        require_stats_access(services.tracker.programs, user)
    except IcamError:
        return False
    return True


async def send_chart(call: Call) -> bool | None:
    """Upload the weekly chart to the caller's DM; None when they may not see the statistics, else whether it
    was sent."""
    services = call.services
    if not may_see_stats(services, call.user):
        return None
    try:
        figure = await asyncio.to_thread(_figure, services)
    except Exception:
        logger.exception("the weekly chart could not be drawn (user=%s)", call.user)
        return False
    channel = await services.sender.open_dm(call.client, call.user)
    if channel is None:
        return False
    outcome = await services.sender.upload_outcome(call.client, channel, figure, comment=figure.alt_text)
    return outcome.ok
