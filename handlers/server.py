"""Serving the app: HTTP (aiohttp, POST /slack/events + GET /healthz, /readyz, /metrics) or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from handlers.app import services_of_app
from handlers.ops import HEALTH_PATH, METRICS_PATH, READY_PATH, add_ops_routes
from handlers.sweep import SweeperTask

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024


def _problem(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def build_web_app(app: AsyncApp, signing_secret: str, sweep_seconds: float | None = None) -> web.Application:
    """The aiohttp application around ``app``; with ``sweep_seconds`` the SLA sweeper runs alongside.

    The signature is checked before the body is parsed so that any unsigned request gets 401, then a
    signed but malformed body gets 400; Bolt verifies the signature again (its verification stays on).
    """
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            signed = verifier.is_valid_request(raw, dict(request.headers))
        except (ValueError, TypeError):  # e.g. a non-numeric timestamp header
            signed = False
        if not signed:
            return _problem(401, "invalid_signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _problem(400, "body_not_utf8")
        if not body.strip():
            return _problem(400, "empty_body")
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        except Exception:  # anything the parser chokes on is the sender's fault, not ours
            logger.debug("unparseable request body", exc_info=True)
            return _problem(400, "malformed_body")
        problem = _shape_problem(bolt_request.body)
        if problem:
            return _problem(400, problem)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def close_services(_web_app: web.Application) -> None:
        await services_of_app(app).close()

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    add_ops_routes(web_app, services_of_app(app))
    if sweep_seconds is not None:

        async def sweeper(_web_app: web.Application) -> AsyncIterator[None]:
            task = SweeperTask(services_of_app(app), app.client, sweep_seconds).start()
            yield
            await task.stop()

        web_app.cleanup_ctx.append(sweeper)
    web_app.on_cleanup.append(close_services)
    return web_app


def _shape_problem(body: object) -> str | None:
    """Why a parsed body cannot be a Slack request, or None if it could be one."""
    if not isinstance(body, dict) or not body:
        return "malformed_body"
    if "command" in body:
        return None if isinstance(body.get("command"), str) else "malformed_command"
    kind = body.get("type")
    if not isinstance(kind, str):
        return "missing_type"
    if kind == "event_callback" and not isinstance(body.get("event"), dict):
        return "malformed_event"
    if kind == "block_actions":
        acts = body.get("actions")
        if not isinstance(acts, list) or not acts or not all(isinstance(a, dict) for a in acts):
            return "malformed_actions"
    needs_user = kind in ("block_actions", "shortcut", "message_action", "view_submission", "view_closed")
    if needs_user and not isinstance(body.get("user"), dict):
        return "malformed_user"
    if kind in ("view_submission", "view_closed") and not isinstance(body.get("view"), dict):
        return "malformed_view"
    return None


def run_http(
    app: AsyncApp,
    signing_secret: str,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104
    sweep_seconds: float | None = None,
) -> None:
    """Serve until interrupted (SIGINT/SIGTERM shut down gracefully, stopping the sweeper first)."""
    logger.info("serving Slack over HTTP on %s:%d%s", host, port, EVENTS_PATH)
    web.run_app(build_web_app(app, signing_secret, sweep_seconds), host=host, port=port, print=None)


def build_health_app(app: AsyncApp) -> web.Application:
    """Socket Mode's small server: only /healthz, /readyz and /metrics (Slack itself comes over the WebSocket)."""
    web_app = web.Application()
    add_ops_routes(web_app, services_of_app(app))
    return web_app


def run_socket_mode(
    app: AsyncApp,
    app_token: str,
    sweep_seconds: float | None = None,
    health_port: int = 8080,
    health_host: str = "0.0.0.0",  # noqa: S104
) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) until interrupted; probes and metrics are
    served on ``health_port``."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    async def main() -> None:
        handler = AsyncSocketModeHandler(app, app_token)
        health = web.AppRunner(build_health_app(app), access_log=None)
        await health.setup()
        await web.TCPSite(health, health_host, health_port).start()
        logger.info("serving %s, %s and %s on %s:%d", HEALTH_PATH, READY_PATH, METRICS_PATH, health_host, health_port)
        logger.info("connecting to Slack in Socket Mode")
        sweeper = SweeperTask(services_of_app(app), app.client, sweep_seconds).start() if sweep_seconds else None
        try:
            await handler.start_async()
        finally:
            if sweeper is not None:
                await sweeper.stop()
            await health.cleanup()
            await services_of_app(app).close()

    asyncio.run(main())
