"""A local fake of the Slack Web API and of response_url endpoints that records every call."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    """One request the bot made: a Web API method (or "response_url") and its parameters."""

    method: str
    params: dict[str, Any]
    path: str
    status: int = 200
    #: Slack's error code when the fake answered ok:false with HTTP 200 (see ``channel_errors``).
    error: str | None = None

    def texts(self) -> str:
        """Everything the call would show to people, as one JSON string (for assertions on content)."""
        return json.dumps(self.params, ensure_ascii=False)


@dataclass
class Upload:
    """A file uploaded the external way: asked for (files.getUploadURLExternal), its bytes POSTed to the upload
    URL, then shared (files.completeUploadExternal) in ``channel``."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None
    channel: str | None = None
    title: str | None = None
    initial_comment: str | None = None

    @property
    def complete(self) -> bool:
        return self.content is not None and self.channel is not None


@dataclass
class FakeSlack:
    """Answers ok:true with plausible bodies; can be told to fail a method with given statuses first."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    delays: dict[str, float] = field(default_factory=dict)
    #: chat.postMessage to these channels answers ok:false with this error (e.g. not_in_channel, is_archived).
    channel_errors: dict[str, str] = field(default_factory=dict)
    #: Any call to these methods answers ok:false with this error (e.g. conversations.history: missing_scope).
    method_errors: dict[str, str] = field(default_factory=dict)
    #: Messages posted, per conversation (a post to a user lands in their IM, ``im_channel(user)``), with their
    #: metadata, and messages a test puts there (``ts``, ``text``, ...): conversations.history answers from here.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    retry_after: str = "1"
    #: What conversations.replies answers when set: the messages of the thread asked for (oldest first).
    replies: list[dict[str, Any]] = field(default_factory=list)
    #: Keep each call's parameters (tests assert on them); a load test keeps only method and status.
    keep_params: bool = True
    _runner: web.AppRunner | None = None
    port: int = 0
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    #: Files by id, in the order they were asked for (see Upload).
    uploads: dict[str, Upload] = field(default_factory=dict)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/_stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # -- control and inspection ------------------------------------------------------------------

    def fail(self, method: str, *statuses: int) -> None:
        """Answer the next calls to ``method`` with these HTTP statuses (429 carries Retry-After)."""
        self.failures[method].extend(statuses)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200 and c.error is None]

    def shared_files(self, channel: str | None = None) -> list[Upload]:
        """Uploads completed (bytes received and shared), in ``channel`` if given."""
        return [u for u in self.uploads.values() if u.complete and (channel is None or u.channel == channel)]

    def attempts(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` successful calls to ``method`` were recorded."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s) within {timeout}s; saw {seen}")
            await asyncio.sleep(0.02)
        return self.calls_to(method)

    # -- handlers --------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.query:  # slack_sdk sends some methods' arguments in the query string of a POST
            return dict(request.query)
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {"_body": data}
        form = await request.post()
        params: dict[str, Any] = dict(request.query)  # slack_sdk sends some methods' arguments in the query
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            if key in ("blocks", "view", "attachments"):
                try:
                    params[key] = json.loads(text)
                    continue
                except ValueError:
                    pass
            params[key] = text
        return params

    def _failure(self, method: str) -> web.Response | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        status = queue.popleft()
        headers = {"Retry-After": self.retry_after} if status == 429 else {}
        return web.json_response(
            {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}, status=status, headers=headers
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        failure = self._failure(method)
        self.calls.append(
            Call(method, params if self.keep_params else {}, request.path, failure.status if failure else 200)
        )
        if failure is not None:
            return failure
        refused = self.channel_errors.get(str(params.get("channel"))) if method == "chat.postMessage" else None
        refused = refused or self.method_errors.get(method)
        if refused:
            self.calls[-1].error = refused  # not a successful call: calls_to() leaves it out, attempts() keeps it
            return web.json_response({"ok": False, "error": refused})
        return web.json_response(self._body(method, params))

    async def _response_url(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if "response_url" in self.delays:
            await asyncio.sleep(self.delays["response_url"])
        failure = self._failure("response_url")
        kept = params if self.keep_params else {}
        self.calls.append(Call("response_url", kept, request.path, failure.status if failure else 200))
        if failure is not None:
            return failure
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: keeps the bytes POSTed for the file (the body itself, as slack_sdk sends it)."""
        file_id = request.match_info["file_id"]
        body = await request.read()
        failure = self._failure("upload")
        self.calls.append(
            Call("upload", {"file_id": file_id, "length": len(body)}, request.path, failure.status if failure else 200)
        )
        if failure is not None:
            return failure
        upload = self.uploads.get(file_id)
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        upload.content = body
        return web.Response(text=f"OK - {len(body)}")

    async def _stats(self, _request: web.Request) -> web.Response:
        """Successful calls per method (used by benchmarks/slack_load.py)."""
        counts: dict[str, int] = defaultdict(int)
        for call in self.calls:
            if call.status == 200:
                counts[call.method] += 1
        return web.json_response(counts)

    def _body(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "icam-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": params.get("text", ""),
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            if self.keep_params:
                metadata = params.get("metadata")
                if isinstance(metadata, str):  # a form post carries it as JSON
                    metadata = json.loads(metadata)
                self.messages[conversation(str(params.get("channel")))].append({**message, "metadata": metadata})
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": im_channel(str(params.get("users", "")).split(",")[0])}}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(params)
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": params.get("channel"),
                "permalink": f"https://example.slack.com/archives/{params.get('channel')}/p{ts}",
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            self.uploads[file_id] = Upload(
                file_id, str(params.get("filename")), int(params.get("length") or 0), params.get("alt_txt")
            )
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files") or "[]")
            shared = []
            for entry in files:
                upload = self.uploads.get(entry.get("id"))
                if upload is None or upload.content is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.channel = params.get("channel_id")
                upload.title = entry.get("title")
                upload.initial_comment = params.get("initial_comment")
                shared.append({"id": upload.file_id, "title": upload.title})
            return {"ok": True, "files": shared}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0000001", "type": "home", **(params.get("view") or {})}}
        return {"ok": True}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history (newest first) or .replies (the thread ``ts``), from ``oldest``; metadata only
        with ``include_all_metadata`` (as Slack does)."""
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in self.messages.get(str(params.get("channel")), []) if float(m["ts"]) >= oldest]
        if params.get("ts") and self.replies:  # a thread a test set up
            return {"ok": True, "messages": list(self.replies), "has_more": False}
        if params.get("ts"):  # conversations.replies: the thread's messages
            found = [m for m in found if m.get("thread_ts") == params["ts"]]
        shown = [
            m if with_metadata and m.get("metadata") else {k: v for k, v in m.items() if k != "metadata"} for m in found
        ]
        return {"ok": True, "messages": list(reversed(shown)), "has_more": False}


def im_channel(user: str) -> str:
    """The fake's IM conversation with ``user``."""
    return f"D{user[1:]}"


def conversation(channel: str) -> str:
    """Where a post to ``channel`` lands: a user id means their IM."""
    return im_channel(channel) if channel.startswith(("U", "W")) else channel
