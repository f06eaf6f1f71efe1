"""People's text in tracker notifications can never mention anyone: only the mentions the bot writes ping.

A reporter typing `Approved by @CISO` (Slack sends `<@U0CISO0001>`) or `@channel` into a comment, an
escalation reason, a resolution or a reopen reason must reach every DM and channel message as text.
"""

from __future__ import annotations

import asyncio

from slack_harness import serve_app
from test_slack_tracker import CRED_LEAD, CRED_OWNER, PMO, STAFF, _wait_posts, create_item, reply_to

CISO = "U0CISO0001"
INJECTED = (
    f"Approved by <@{CISO}> (<@{CISO}|ciso>) <!channel> <!here> <!everyone> <!subteam^S0ESC0001|@esc> <#C0SECRET1|x>"
)
PINGS = (f"<@{CISO}", "<!channel>", "<!here>", "<!everyone>", "<!subteam", "<#C0SECRET1")


async def test_comment_escalation_resolution_and_reopen_text_mentions_nobody(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        await reply_to(h, f"comment ICAM-1 {INJECTED}")
        owner_dms = await _wait_posts(h, CRED_OWNER, 1)
        assert f"&lt;@{CISO}&gt;" in owner_dms[-1]["text"]  # what they typed, as text
        assert f"<@{STAFF}>" in owner_dms[-1]["text"]  # the bot names who commented
        await reply_to(h, f"escalate ICAM-1 {INJECTED}")
        lead_dms = await _wait_posts(h, CRED_LEAD, 1)
        assert f"<@{STAFF}>" in lead_dms[-1]["text"]
        await reply_to(h, f"resolve ICAM-1 {INJECTED}", user=PMO)
        await _wait_posts(h, STAFF, 1)
        await reply_to(h, f"reopen ICAM-1 {INJECTED}")
        await asyncio.sleep(0.3)
        sent = [c for c in h.fake.calls if c.method in ("chat.postMessage", "chat.update", "response_url")]
        assert len(sent) >= 8
        for call in sent:
            text = call.texts()
            assert not [ping for ping in PINGS if ping in text], (call.method, call.params.get("channel"), text)
