"""Pure tracker builders and parsers: no Slack, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from handlers.common.ids import ActionId, BlockId
from handlers.common.text import MODAL_TITLE_LIMIT, VIEW_BLOCK_LIMIT
from handlers.home.blocks import home_view
from handlers.tracker.blocks import TrackerHome, notification_message, triage_message, unsaved_message
from handlers.tracker.modals import (
    IssueDraft,
    IssueModalMeta,
    ReasonModalMeta,
    field_errors,
    field_value,
    issue_modal,
    reason_modal,
)
from handlers.tracker.parsing import new_item_from_state, parse_user, split_ref
from icam_bot.tracker.errors import TrackerUnavailableError
from icam_bot.tracker.models import ItemKind, Severity, Status
from icam_bot.tracker.results import ItemView, Notification, NotificationKind

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
PROGRAM_OPTIONS = [("credentialing", "Credentialing"), ("pacs", "PACS"), ("other", "Other")]


def item(**overrides: object) -> ItemView:
    values: dict[str, object] = {
        "id": 7,
        "kind": ItemKind.ISSUE,
        "title": "Readers <!channel> reject cards",
        "description": "Floor 3 readers reject <new> cards & old ones",
        "program": "pacs",
        "bureau": None,
        "severity": Severity.HIGH,
        "status": Status.NEW,
        "reporter_id": "U0000STAFF",
        "assignee_id": "U0EXAMPLE21",
        "channel_id": None,
        "thread_ts": None,
        "permalink": None,
        "likelihood": None,
        "impact": None,
        "mitigation_owner_id": None,
        "resolution": None,
        "first_response_due_at": NOW + dt.timedelta(hours=4),
        "resolution_due_at": NOW + dt.timedelta(days=2),
        "escalation_level": 0,
        "created_at": NOW,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "updated_at": NOW,
    }
    values.update(overrides)
    return ItemView(**values)  # type: ignore[arg-type]


def test_issue_modal_has_every_field_prefilled_and_a_short_title():
    meta = IssueModalMeta("C1", "1.2", "https://example.slack.com/archives/C1/p12")
    view = issue_modal(IssueDraft("badge reader broken\nsecond line", "pacs", meta), PROGRAM_OPTIONS)
    assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
    assert len(view["submit"]["text"]) <= MODAL_TITLE_LIMIT
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == "pacs"
    assert blocks[BlockId.KIND]["element"]["initial_option"]["value"] == "issue"
    assert blocks[BlockId.TITLE]["element"]["initial_value"] == "badge reader broken"
    assert blocks[BlockId.DESCRIPTION]["element"]["initial_value"] == "badge reader broken\nsecond line"
    assert IssueModalMeta.load(view["private_metadata"]) == meta
    assert len(view["private_metadata"]) <= 3000


def test_issue_modal_without_text_has_no_initial_values():
    view = issue_modal(IssueDraft(), PROGRAM_OPTIONS)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "initial_value" not in blocks[BlockId.DESCRIPTION]["element"]
    assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == "other"


def test_field_errors_map_to_block_ids():
    errors = field_errors({"title": "is required", "likelihood": "is required", "reporter_id": "bad"})
    assert errors == {
        BlockId.TITLE: "Title is required",
        BlockId.LIKELIHOOD: "Likelihood is required",
        BlockId.DESCRIPTION: "Reporter bad",
    }


def test_modal_state_becomes_a_new_item_and_risk_fields_only_for_risks():
    def values(kind: str) -> dict[str, object]:
        picked = {
            BlockId.KIND: {"selected_option": {"value": kind}},
            BlockId.TITLE: {"value": "  Title  "},
            BlockId.DESCRIPTION: {"value": "Text"},
            BlockId.PROGRAM: {"selected_option": {"value": "pacs"}},
            BlockId.SEVERITY: {"selected_option": {"value": "low"}},
            BlockId.BUREAU: {"value": None},
            BlockId.LIKELIHOOD: {"selected_option": {"value": "3"}},
            BlockId.IMPACT: {"selected_option": {"value": "2"}},
            BlockId.MITIGATION_OWNER: {"selected_user": "U0EXAMPLE21"},
        }
        return {block: {ActionId.FIELD: element} for block, element in picked.items()}

    meta = IssueModalMeta("C1", "1.2", None)
    risk = new_item_from_state(values("risk"), "U0000STAFF", meta)
    assert (risk.likelihood, risk.impact, risk.mitigation_owner_id) == (3, 2, "U0EXAMPLE21")
    assert (risk.title, risk.bureau, risk.channel_id, risk.thread_ts) == ("Title", None, "C1", "1.2")
    issue = new_item_from_state(values("issue"), "U0000STAFF", meta)
    assert (issue.likelihood, issue.impact, issue.mitigation_owner_id) == (None, None, None)
    assert field_value({}, BlockId.TITLE) is None


@pytest.mark.parametrize(
    ("text", "user"),
    [("<@U0123ABC|jane>", "U0123ABC"), ("<@W0123ABC>", "W0123ABC"), (" U0123ABC ", "U0123ABC"), ("jane", None)],
)
def test_parse_user(text, user):
    assert parse_user(text) == user


def test_split_ref():
    assert split_ref(" ICAM-3   the  rest ") == ("ICAM-3", "the  rest")
    assert split_ref("") == ("", "")


def test_reason_modal_round_trips_its_metadata():
    meta = ReasonModalMeta(ActionId.ITEM_RESOLVE, 123456, "C1", "1.2", from_home=False)
    view = reason_modal(meta)
    assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
    assert ReasonModalMeta.load(view["private_metadata"]) == meta
    assert ReasonModalMeta.load('{"action": "delete_everything", "item_id": 1}') is None
    assert ReasonModalMeta.load("not json") is None


def test_triage_message_escapes_user_text_and_has_buttons_while_open():
    sent = json.dumps(triage_message(item()))
    assert "<!channel>" not in sent
    assert "&lt;!channel&gt;" in sent
    assert ActionId.ITEM_RESOLVE in sent
    closed = triage_message(item(status=Status.RESOLVED, resolution="done"))
    assert all(b["type"] != "actions" for b in closed["blocks"])


def test_notifications_mention_only_the_actor_and_escape_what_people_wrote():
    typed = "<!here> help, approved by <@U0CISO0001> <!subteam^S1|@esc> <!channel>"
    note = Notification("U0EXAMPLE21", NotificationKind.ESCALATED, item(), "to the program lead", "U0000STAFF", typed)
    message = notification_message(note)
    sent = json.dumps(message)
    assert "was escalated to the program lead by <@U0000STAFF>: &lt;!here&gt; help" in message["text"]
    for ping in ("<!here>", "<@U0CISO0001>", "<!subteam", "<!channel>"):
        assert ping not in sent
    assert "&lt;@U0CISO0001&gt;" in sent
    forged = Notification("U1", NotificationKind.COMMENT_ADDED, item(), actor="<!channel>", text="x")
    assert "<!channel>" not in json.dumps(notification_message(forged))
    assert "ICAM-7" in message["text"]
    assert ActionId.ITEM_ESCALATE in sent
    confirmation = notification_message(Notification("U0000STAFF", NotificationKind.REPORTER_CONFIRMATION, item()))
    assert "ICAM-7" in confirmation["text"]
    assert ActionId.ITEM_ESCALATE not in json.dumps(confirmation)
    for kind in NotificationKind:
        assert notification_message(Notification("C1", kind, item(), "x"))["blocks"]


def test_unsaved_message_says_not_saved_and_echoes_escaped_text():
    message = unsaved_message(TrackerUnavailableError("new item", "a <@U1> & b"))
    sent = json.dumps(message)
    assert "NOT saved" in message["text"]
    assert "a &lt;@U1&gt; &amp; b" in sent


def test_home_view_stays_within_100_blocks_with_a_big_queue():
    queue = [dataclasses.replace(item(), id=n, first_response_due_at=NOW - dt.timedelta(hours=1)) for n in range(200)]
    view = home_view([], is_pmo=True, tracker=TrackerHome(NOW, mine=queue[:3], queue=queue))
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    sent = json.dumps(view)
    assert "Overdue" in sent
    assert "*Overdue* (200)" in sent


def test_home_view_when_the_tracker_is_down():
    view = home_view([], tracker=TrackerHome(NOW, unavailable=True))
    assert "unavailable" in json.dumps(view)
