"""Operational endpoints: GET /healthz (liveness), /readyz (readiness), /metrics.

Two sets. The internal one (Socket Mode's health port, HTTP mode's ICAM_METRICS_PORT) serves all three, and
/readyz there shows each check's details (schema revisions, entry count). The public one, beside
/slack/events in HTTP mode, serves /healthz and a /readyz that says only which checks pass: nothing about the
deployment's schema or contents, and no /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text

from handlers.services import Services
from icam_bot.db import schema_status

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
#: A readiness probe must answer within the kubelet's timeout (3 s in deploy/k8s): each check gets less.
CHECK_TIMEOUT_S = 2.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ping_database(services: Services) -> dict[str, Any]:
    with services.store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"ok": True}


def _check_migrations(services: Services) -> dict[str, Any]:
    status = schema_status(services.store.engine)
    return {"ok": status.up_to_date, "current": status.current, "head": status.head}


def _check_knowledge(services: Services) -> dict[str, Any]:
    entries = len(services.responder.kb.entries) if services.responder is not None else 0
    return {"ok": entries > 0, "entries": entries}


async def _in_thread(name: str, check: Callable[[Services], dict[str, Any]], services: Services) -> dict[str, Any]:
    """Run a blocking check in a thread; a timeout or an exception is a failed check (class name only)."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(check, services), CHECK_TIMEOUT_S)
    except TimeoutError:
        logger.warning("readiness check %s timed out after %.1f s", name, CHECK_TIMEOUT_S)
        return {"ok": False, "error": "timeout"}
    except Exception as exc:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return {"ok": False, "error": type(exc).__name__}


async def readiness(services: Services) -> dict[str, dict[str, Any]]:
    """Every readiness check by name: database reachable, knowledge base loaded, migrations current."""
    database, migrations = await asyncio.gather(
        _in_thread("database", _ping_database, services), _in_thread("migrations", _check_migrations, services)
    )
    return {"database": database, "knowledge_base": _check_knowledge(services), "migrations": migrations}


def matching(services: Services, *, internal: bool = True) -> dict[str, Any]:
    """How questions are matched: ``semantic`` (the embedding model) or ``lexical``; on the internal listener
    also the verified model hash. Reported beside the checks, never one of them (readiness is unchanged)."""
    matcher = services.responder.matcher if services.responder is not None else None
    shown: dict[str, Any] = {"mode": matcher.mode if matcher is not None else None}
    if internal:
        shown["model_sha256"] = matcher.model_sha256 if matcher is not None else None
    return shown


def public_checks(checks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Only whether each check passes (no schema revision, counts or error names) for the public listener."""
    return {name: {"ok": bool(check["ok"])} for name, check in checks.items()}


def add_ops_routes(web_app: web.Application, services: Services, *, internal: bool = True) -> None:
    """Register /healthz and /readyz (and, on the ``internal`` listener, /metrics and the readiness details),
    and time and count every request (icam_bot_http_request_duration_seconds, icam_bot_http_responses_total)."""
    metrics = services.metrics

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        checks = await readiness(services)
        failing = [name for name, check in checks.items() if not check["ok"]]
        shown = checks if internal else public_checks(checks)
        mode = matching(services, internal=internal)
        if failing:
            return web.json_response({"ok": False, "checks": shown, "failing": failing, "matching": mode}, status=503)
        return web.json_response({"ok": True, "checks": shown, "matching": mode})

    async def metrics_page(_request: web.Request) -> web.Response:
        await metrics.refresh()  # values read from the database (the outbox backlog), bounded in time
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = metrics.content_type
        return response

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        path = route.canonical if route is not None else "other"  # unknown paths share one series
        start = time.perf_counter()
        code = 500  # an exception that is not an HTTP response
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as exc:
            code = exc.status
            raise
        finally:
            metrics.request_duration.labels(path=path).observe(time.perf_counter() - start)
            metrics.responses.labels(path=path, code=str(code)).inc()

    web_app.middlewares.append(timed)
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.router.add_get(READY_PATH, readyz)
    if internal:
        web_app.router.add_get(METRICS_PATH, metrics_page)
