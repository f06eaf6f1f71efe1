"""Serving the app: HTTP (aiohttp: POST /slack/events, GET /healthz and /readyz on the public port; /metrics and
the readiness details on the internal ICAM_METRICS_PORT) or Socket Mode (the three on ICAM_HEALTH_PORT)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from handlers.app import services_of_app
from handlers.runtime.background import BackgroundWork
from handlers.runtime.health import HEALTH_PATH, METRICS_PATH, READY_PATH, add_ops_routes
from handlers.runtime.inflight import mark_handling, unmark
from handlers.runtime.payload_shape import shape_problem
from handlers.runtime.request_log import new_request_id, slack_fields
from icam_bot.logs import bind, unbind

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024
#: Slack's rule: a request whose timestamp is more than five minutes off is refused (replays).
SIGNATURE_MAX_AGE_S = 300
#: How long shutdown waits for in-flight requests and the work they started, unless told otherwise.
DEFAULT_SHUTDOWN_TIMEOUT_S = 20.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request a request id in the log context, and mark the tasks it starts as its work."""
    log_token = bind(request_id=new_request_id(request.headers.get("X-Slack-Request-Timestamp")))
    work_token = mark_handling()
    try:
        return await handler(request)
    finally:
        unmark(work_token)
        unbind(log_token)


def _problem(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def build_web_app(
    app: AsyncApp,
    signing_secret: str,
    sweep_seconds: float | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT_S,
    *,
    digest_check_seconds: float | None = None,
    internal_address: tuple[str, int] | None = None,
) -> web.Application:
    """The aiohttp application around ``app``; with ``sweep_seconds`` the SLA sweeper runs alongside, and with
    ``internal_address`` (host, port) the internal server (/metrics, detailed /readyz) runs with it.

    The signature is checked before the body is parsed so that any unsigned request gets 401, then a
    signed but malformed body gets 400; Bolt verifies the signature again (its verification stays on).
    On shutdown (after the server stopped listening and finished its in-flight requests) the work those
    requests started after their acks is given the rest of ``shutdown_timeout``, then the sweeper is stopped
    between sweeps and the services closed.
    """

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not signature_ok(signing_secret, raw, request.headers):
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
        problem = shape_problem(bolt_request.body)
        if problem:
            return _problem(400, problem)
        fields = slack_fields(bolt_request.body)
        bind(**fields, request_id=fields.get("event_id"))  # reset by request_context when the request ends
        started = time.perf_counter()
        bolt_response = await app.async_dispatch(bolt_request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("slack request %s acked %d in %.0f ms", fields.get("command"), bolt_response.status, elapsed_ms)
        return await to_aiohttp_response(bolt_response)

    deadline = [0.0]  # when shutdown must be over (set when it starts)

    async def shutdown_started(_web_app: web.Application) -> None:
        deadline[0] = time.monotonic() + shutdown_timeout
        logger.info(
            "shutting down: no new connections; finishing in-flight requests and answers (up to %.0f s)",
            shutdown_timeout,
        )

    async def lifecycle(_web_app: web.Application) -> AsyncIterator[None]:
        background = BackgroundWork(
            services_of_app(app), app.client, sweep_seconds=sweep_seconds, digest_check_seconds=digest_check_seconds
        )
        await background.start()
        yield
        await background.stop(deadline[0] or time.monotonic() + shutdown_timeout)

    async def internal_server(_web_app: web.Application) -> AsyncIterator[None]:
        assert internal_address is not None
        runner = web.AppRunner(build_internal_app(app), access_log=None)
        await runner.setup()
        host, port = internal_address
        await web.TCPSite(runner, host, port).start()
        logger.info("serving %s, %s and %s on %s:%d (internal)", METRICS_PATH, READY_PATH, HEALTH_PATH, host, port)
        yield
        await runner.cleanup()

    web_app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[request_context])
    web_app.router.add_post(EVENTS_PATH, slack_events)
    add_ops_routes(web_app, services_of_app(app), internal=False)
    web_app.on_shutdown.append(shutdown_started)
    web_app.cleanup_ctx.append(lifecycle)
    if internal_address is not None:
        web_app.cleanup_ctx.append(internal_server)
    return web_app


def signature_ok(secret: str, raw: bytes, headers: Mapping[str, str], now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes (whatever they encode), with a timestamp at most 5 minutes off.

    Checked on bytes so that a correctly signed body that is not UTF-8 is a malformed body (400), not an
    unsigned one (401).
    """
    timestamp, signature = headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > SIGNATURE_MAX_AGE_S:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", signature)


def run_http(
    app: AsyncApp,
    signing_secret: str,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104
    *,
    sweep_seconds: float | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT_S,
    digest_check_seconds: float | None = None,
    metrics_port: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully: stop listening, finish in-flight requests and
    the answers they started (bounded by ``shutdown_timeout``), stop the sweeper, close the services.
    ``metrics_port`` (on the same host) serves /metrics and the readiness details, apart from Slack's port."""
    logger.info("serving Slack over HTTP on %s:%d%s", host, port, EVENTS_PATH)
    web_app = build_web_app(
        app,
        signing_secret,
        sweep_seconds,
        shutdown_timeout,
        digest_check_seconds=digest_check_seconds,
        internal_address=(host, metrics_port) if metrics_port is not None else None,
    )
    # No aiohttp access log: Slack requests are logged above with their context, probes need no log line.
    web.run_app(web_app, host=host, port=port, print=None, shutdown_timeout=shutdown_timeout, access_log=None)


def build_internal_app(app: AsyncApp) -> web.Application:
    """The internal server: only /healthz, /readyz (with details) and /metrics. Socket Mode's health port
    (Slack itself comes over the WebSocket), and HTTP mode's ICAM_METRICS_PORT."""
    web_app = web.Application()
    add_ops_routes(web_app, services_of_app(app), internal=True)
    return web_app


build_health_app = build_internal_app


def run_socket_mode(
    app: AsyncApp,
    app_token: str,
    sweep_seconds: float | None = None,
    *,
    health_port: int = 8080,
    health_host: str = "0.0.0.0",  # noqa: S104
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT_S,
    digest_check_seconds: float | None = None,
) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) until SIGTERM/SIGINT; probes and metrics are
    served on ``health_port``. Shutdown disconnects, then lets started work finish as in HTTP mode."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.socket_mode.response import SocketModeResponse

    class Handler(AsyncSocketModeHandler):
        async def handle(self, client, req) -> None:  # type: ignore[no-untyped-def, override]
            """Each envelope gets its id in the log context; the tasks it starts are tracked."""
            payload = req.payload if isinstance(req.payload, dict) else {}
            problem = shape_problem(payload) if req.type in ("events_api", "interactive", "slash_commands") else None
            if problem:  # acked and dropped: Slack must not redeliver it, no listener can use it
                logger.warning("malformed %s envelope dropped: %s", req.type, problem)
                await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
            fields = slack_fields(payload)
            log_token = bind(**fields, envelope_id=req.envelope_id, request_id=req.envelope_id)
            work_token = mark_handling()
            started = time.perf_counter()
            try:
                await super().handle(client, req)
                elapsed_ms = (time.perf_counter() - started) * 1000
                logger.info("slack request %s acked in %.0f ms", fields.get("command"), elapsed_ms)
            finally:
                unmark(work_token)
                unbind(log_token)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        background = BackgroundWork(
            services_of_app(app), app.client, sweep_seconds=sweep_seconds, digest_check_seconds=digest_check_seconds
        )
        handler = Handler(app, app_token)
        health = web.AppRunner(build_health_app(app), access_log=None, shutdown_timeout=shutdown_timeout)
        await health.setup()
        await web.TCPSite(health, health_host, health_port).start()
        logger.info("serving %s, %s and %s on %s:%d", HEALTH_PATH, READY_PATH, METRICS_PATH, health_host, health_port)
        logger.info("connecting to Slack in Socket Mode")
        await background.start()
        deadline = None
        try:
            await handler.connect_async()
            await stop.wait()
            deadline = time.monotonic() + shutdown_timeout
            logger.info("shutting down: disconnecting; finishing started answers (up to %.0f s)", shutdown_timeout)
            await handler.close_async()
        finally:
            await background.stop(deadline or time.monotonic() + shutdown_timeout)
            await health.cleanup()

    asyncio.run(main())
