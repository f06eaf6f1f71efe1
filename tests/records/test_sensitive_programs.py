"""Programs marked ``sensitive: true`` in the routing file: channel posts name only the item, details are shown
privately to those allowed, and the weekly digest leaves their titles out."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from tracker_support import PMO, REPORTER, new_item

from handlers.common.ids import ActionId
from handlers.tracker.blocks import notification_message
from icam_bot.comms.digest import build_digest
from icam_bot.comms.schedule import DigestPeriod
from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.programs.routing import ProgramsError, parse_programs
from icam_bot.tracker.results import NotificationKind
from icam_bot.tracker.service import TrackerService

SECRET_TITLE = "Clearance suspended for J. Doe"
SECRET_TEXT = "Adjudication found foreign contacts; badge must be pulled today."


def _raw() -> dict:
    return yaml.safe_load((bundled_knowledge_dir() / "programs.yaml").read_text(encoding="utf-8"))


def test_the_routing_file_marks_personnel_security_sensitive(programs):
    assert programs.is_sensitive("personnel-security")
    assert [slug for slug in programs.programs if programs.is_sensitive(slug)] == ["personnel-security"]


def test_sensitive_must_be_true_or_false():
    raw = _raw()
    raw["programs"]["pacs"]["sensitive"] = "yes"
    with pytest.raises(ProgramsError) as caught:
        parse_programs(raw, "programs.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "programs.yaml: program 'pacs': field 'sensitive': must be true or false, got 'yes'"
    ]
    raw["programs"]["pacs"]["sensitive"] = True
    assert parse_programs(raw).is_sensitive("pacs")


def _texts(message: dict) -> str:
    return str(message)


def test_channel_messages_about_sensitive_items_show_only_the_item_id(engine, programs, clock):
    service = TrackerService(engine, programs, clock=clock)
    result = service.create(
        new_item(program="personnel-security", title=SECRET_TITLE, description=SECRET_TEXT, bureau="Security office")
    )
    ref = result.item.ref
    by_kind = {n.kind: n for n in result.notifications}
    channel_post = notification_message(by_kind[NotificationKind.NEW_ITEM_CHANNEL], restricted=True)
    assert channel_post["text"] == f"{ref} (restricted)"
    shown = _texts(channel_post)
    for secret in (SECRET_TITLE, SECRET_TEXT, "Security office", REPORTER):
        assert secret not in shown
    buttons = [e["action_id"] for b in channel_post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0] == ActionId.ITEM_SHOW_DETAILS
    assert ActionId.ITEM_ACKNOWLEDGE in buttons
    # the owner's direct message is for someone allowed: it keeps the details
    assert SECRET_TITLE in _texts(notification_message(by_kind[NotificationKind.NEW_ITEM_OWNER]))
    escalated = service.escalate(ref, f"urgent: {SECRET_TEXT}", actor=PMO)
    for note in escalated.notifications:
        restricted = notification_message(note, restricted=True)
        assert SECRET_TEXT not in _texts(restricted)
        assert SECRET_TITLE not in _texts(restricted)
        assert f"{ref} (restricted)" in restricted["text"]


def test_the_digest_leaves_out_sensitive_titles(engine, programs, clock):
    service = TrackerService(engine, programs, clock=clock)
    service.create(new_item(program="personnel-security", title=SECRET_TITLE))
    service.create(new_item(title="PIV reader broken"))
    end = clock.now + dt.timedelta(days=1)
    period = DigestPeriod("2026-W10", due_at=end, start=clock.now - dt.timedelta(days=1), end=end)
    with service.sessions() as session:
        digest = build_digest(
            session,
            period,
            tz="UTC",
            entries=[],
            previous_entry_ids=None,
            restricted=frozenset(s for s in programs.programs if programs.is_sensitive(s)),
        )
    assert [line.title for line in digest.opened] == ["(restricted)", "PIV reader broken"]
