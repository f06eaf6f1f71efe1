"""`/icam escalate` from Slack: a reporter cannot walk their own item up the chain; wording says who escalated."""

from __future__ import annotations

from slack_harness import reply_to, serve_app
from test_slack_tracker import CRED_LEAD, CRED_OWNER, PMO, _wait_posts, create_item


async def test_three_escalations_in_a_row_by_the_reporter_reach_only_the_next_level(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        assert "is escalated (now at level 1)" in (await reply_to(h, "escalate ICAM-1 blocking 40 staff"))["text"]
        for _ in range(2):
            refused = (await reply_to(h, "escalate ICAM-1 still blocked"))["text"]
            assert "before you can escalate it again" in refused
        assert h.services.tracker.get("ICAM-1", actor=PMO).escalation_level == 1
        assert h.services.metrics.registry.get_sample_value("icam_bot_items_escalated_total") == 1
        lead = await _wait_posts(h, CRED_LEAD, 1)
        assert "was escalated to the program lead by <@U0000STAFF>: blocking 40 staff" in lead[0]["text"]
        owner = await _wait_posts(h, CRED_OWNER, 1)
        assert "was escalated past you to the program lead by <@U0000STAFF>" in owner[0]["text"]
        assert "SLA" not in owner[0]["text"]  # a person escalated it: no SLA was missed
        # the PMO is not limited
        assert "now at level 2" in (await reply_to(h, "escalate ICAM-1 confirmed", user=PMO))["text"]
