"""BoardService on a real database: the enterprise view, the drill-down, risks, PMO edits and their audit."""

from __future__ import annotations

import datetime as dt

import pytest
from board_support import CRED_OWNER, ESC, PACS_OWNER, PMO, STAFF, TODAY, add_milestone, issue, milestone, risk
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from icam_bot.board.errors import BoardValidationError, UnknownMilestoneError, UnknownProgramError
from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Rag, WorkStatus
from icam_bot.board.results import RagSource
from icam_bot.board.service import ProgramEdit
from icam_bot.tracker.errors import PermissionDeniedError
from icam_bot.tracker.models import Severity


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def events(engine) -> list[BoardEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(BoardEvent).order_by(BoardEvent.id)))


# -- the enterprise view ---------------------------------------------------------------------------------


def test_empty_board_lists_every_program_not_rated(board, programs):
    view = board.overview()
    assert [p.slug for p in view.programs] == list(programs.programs)
    assert view.today == TODAY
    for summary in view.programs:
        assert (summary.rag, summary.rag_source, summary.next_milestone) == (None, RagSource.NONE, None)
        assert summary.overdue == 0
        assert sum(summary.open_items.values()) == sum(summary.open_risks.values()) == 0


def test_enterprise_view_counts_items_risks_overdue_and_next_milestone(board, tracker, clock):
    add_milestone(board, name="Later", due="2026-06-01", rag="green")
    add_milestone(board, name="Sooner", due="2026-03-20", rag="amber", owner_id=CRED_OWNER)
    add_milestone(board, name="Finished", due="2026-01-10", status="done", rag="red")
    tracker.create(issue(severity="high"))
    tracker.create(issue(severity="high"))
    tracker.create(issue(severity="low"))
    tracker.create(risk(severity="critical"))
    tracker.create(issue(program="pacs", severity="critical"))
    closed = tracker.create(issue(severity="medium")).item.ref
    tracker.close(closed, actor=PMO)

    view = board.overview()
    cred = view.program("credentialing")
    assert cred.open_items == {Severity.LOW: 1, Severity.MEDIUM: 0, Severity.HIGH: 2, Severity.CRITICAL: 0}
    assert cred.open_risks[Severity.CRITICAL] == 1
    assert cred.next_milestone is not None
    assert (cred.next_milestone.name, cred.next_milestone.owner_id) == ("Sooner", CRED_OWNER)
    assert (cred.rag, cred.rag_source) == (Rag.AMBER, RagSource.DERIVED)  # done milestones do not count
    assert (cred.open_milestones, cred.overdue_items, cred.overdue_milestones) == (2, 0, 0)
    assert view.program("pacs").open_items[Severity.CRITICAL] == 1

    clock.advance(days=30)  # 1 April: "Sooner" is overdue, and the tracker items are past their SLA
    later = board.overview().program("credentialing")
    assert later.overdue_milestones == 1
    assert later.overdue_items == 4  # the three issues and the risk
    assert (later.rag, later.rag_source) == (Rag.RED, RagSource.DERIVED)  # an overdue milestone is red
    assert later.next_milestone is not None
    assert later.next_milestone.name == "Later"


def test_explicit_program_rag_overrides_the_derived_one_and_can_be_cleared(board, engine):
    add_milestone(board, rag="red")
    board.edit(ProgramEdit("credentialing", rag="green", note="Recovered: vendor back on schedule"), actor=PMO)
    summary = board.overview().program("credentialing")
    assert (summary.rag, summary.rag_source, summary.note) == (
        Rag.GREEN,
        RagSource.PMO,
        "Recovered: vendor back on schedule",
    )
    board.edit(ProgramEdit("credentialing", rag="derived"), actor=PMO)
    summary = board.overview().program("credentialing")
    assert (summary.rag, summary.rag_source, summary.note) == (Rag.RED, RagSource.DERIVED, None)


def test_overview_runs_the_same_few_queries_whatever_the_number_of_items(board, tracker, engine):
    """Per-program numbers come from GROUP BY queries, not from loading items."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    add_milestone(board)
    tracker.create(issue())
    event.listen(engine, "before_cursor_execute", record)
    try:
        board.overview()
        few = len(statements)
        for n in range(40):
            tracker.create(issue(program=("pacs", "credentialing")[n % 2], severity=("low", "high")[n % 2]))
        statements.clear()
        view = board.overview()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == few
    assert sum(view.program("pacs").open_items.values()) == 20
    assert all("GROUP BY" in s.upper() for s in statements if "tracker_items" in s)


# -- the drill-down ------------------------------------------------------------------------------------


def test_program_drill_down_by_slug_or_name(board, tracker):
    add_milestone(board, name="Done one", due="2026-02-01", status="done")
    add_milestone(board, name="Open one", due="2026-05-01", workstream="PIV refresh")
    tracker.create(risk(likelihood=5, impact=4))
    view = board.program("Credentialing (PIV / derived credentials)", actor=PMO)
    assert view.summary.slug == "credentialing"
    assert [m.name for m in view.milestones] == ["Open one", "Done one"]  # open first
    assert view.milestones[0].workstream == "PIV refresh"
    assert [w.name for w in view.workstreams] == ["PIV refresh"]
    assert view.risks is not None
    assert [r.score for r in view.risks] == [20]
    assert view.changes
    assert view.changes[0].target_name == "Open one"
    assert board.program("CREDENTIALING", actor=PMO).summary.slug == "credentialing"


def test_unknown_program_suggests_the_closest_one(board):
    with pytest.raises(UnknownProgramError) as raised:
        board.program("credentaling", actor=PMO)
    assert raised.value.suggestion == "credentialing"
    assert "did you mean `credentialing`" in str(raised.value)
    with pytest.raises(UnknownProgramError) as raised:
        board.program("zzzz qqqq", actor=PMO)
    assert raised.value.suggestion is None
    assert "identity-management" in str(raised.value)


def test_risk_details_in_the_drill_down_only_for_pmo_esc_and_program_staff(board, tracker):
    tracker.create(risk())
    assert board.program("credentialing", actor=STAFF).risks is None
    assert board.program("credentialing", actor=PACS_OWNER).risks is None
    assert board.program("credentialing", actor=CRED_OWNER).risks is not None
    assert board.program("credentialing", actor=ESC).risks is not None


# -- top risks -------------------------------------------------------------------------------------------


def test_top_risks_by_score_with_owner_and_mitigation_owner(board, tracker):
    low = tracker.create(risk(likelihood=1, impact=2)).item.ref
    high = tracker.create(risk(program="pacs", likelihood=5, impact=5, mitigation_owner_id=PACS_OWNER)).item.ref
    mid_high = tracker.create(risk(likelihood=3, impact=4, severity="critical")).item.ref
    mid_low = tracker.create(risk(likelihood=4, impact=3, severity="low")).item.ref
    unscored = tracker.create(issue()).item.ref
    resolved = tracker.create(risk(likelihood=5, impact=5)).item.ref
    tracker.resolve(resolved, "mitigated", actor=PMO)
    tracker.assign(mid_low, PMO, actor=PMO)

    top = board.top_risks(actor=PMO)
    assert [r.ref for r in top] == [high, mid_high, mid_low, low]  # equal scores: worse severity first
    assert unscored not in [r.ref for r in top]
    assert (top[0].owner_id, top[0].mitigation_owner_id) == (PACS_OWNER, PACS_OWNER)  # unassigned: program owner
    assert top[2].owner_id == PMO
    assert [r.ref for r in board.top_risks(actor=PMO, limit=2)] == [high, mid_high]
    assert [r.ref for r in board.top_risks(actor=CRED_OWNER)] == [mid_high, mid_low, low]  # own program only
    with pytest.raises(PermissionDeniedError, match="risk register"):
        board.top_risks(actor=STAFF)


# -- editing -------------------------------------------------------------------------------------------


def test_non_pmo_cannot_edit_and_nothing_is_written(board, engine):
    with pytest.raises(PermissionDeniedError, match="only ICAM PMO members"):
        board.edit(ProgramEdit("credentialing", rag="red", milestone=milestone()), actor=CRED_OWNER)
    assert count(engine, Milestone) == count(engine, ProgramStatus) == count(engine, BoardEvent) == 0


@pytest.mark.parametrize(
    ("due", "field", "message"),
    [
        ("2026-03-01", "due_date", "is in the past"),
        ("2026-02-30", "due_date", "not a real calendar date"),
        ("03/15/2026", "due_date", "must be a date like"),
        (None, "due_date", "is required"),
    ],
)
def test_bad_due_dates_are_refused_with_nothing_written(board, engine, due, field, message):
    with pytest.raises(BoardValidationError) as raised:
        board.edit(ProgramEdit("credentialing", rag="red", milestone=milestone(due=due)), actor=PMO)
    assert message in raised.value.errors[field]
    assert count(engine, Milestone) == count(engine, ProgramStatus) == count(engine, BoardEvent) == 0


def test_past_due_date_is_allowed_for_done_or_cancelled_milestones(board):
    done = add_milestone(board, name="Pilot", due="2025-12-01", status="done").milestone
    assert done is not None
    assert done.completed_on == TODAY
    add_milestone(board, name="Dropped", due="2025-11-01", status="cancelled")
    assert len(board.milestones("credentialing")) == 2


def test_other_field_errors_are_named(board):
    bad = milestone(name="", owner_id="jane", status="late", rag="purple", note="two\nlines")
    with pytest.raises(BoardValidationError) as raised:
        board.edit(ProgramEdit("credentialing", rag="pink", milestone=bad), actor=PMO)
    assert set(raised.value.errors) == {"rag", "name", "owner_id", "status", "milestone_rag", "milestone_note"}


def test_every_change_to_a_milestone_or_rag_is_audited_before_and_after(board, engine, clock):
    created = add_milestone(board, rag="green").milestone
    assert created is not None
    clock.advance(hours=1)
    edit = ProgramEdit(
        "credentialing",
        rag="amber",
        milestone=milestone(rag="red", due="2026-05-01", note="Card stock late"),
        milestone_id=created.id,
    )
    result = board.edit(edit, actor=PMO)
    assert set(result.changed) == {"program_rag", "milestone_rag", "milestone_due_date", "milestone_note"}
    trail = [(e.target, e.action, e.field, e.before, e.after, e.actor_id) for e in events(engine)]
    assert trail[0] == ("milestone", "created", None, None, "due 2026-04-15, status planned, RAG green", PMO)
    assert ("program", "changed", "rag", None, "amber", PMO) in trail
    assert ("milestone", "changed", "rag", "green", "red", PMO) in trail
    assert ("milestone", "changed", "due_date", "2026-04-15", "2026-05-01", PMO) in trail
    assert all(e.created_at == clock.now for e in events(engine)[1:])
    assert board.edit(edit, actor=PMO).changed == ()  # the same values again: nothing changes, no event
    assert len(events(engine)) == len(trail)
    history = board.history("credentialing")
    assert history[0].id > history[-1].id


def test_audit_events_are_append_only(board, engine):
    add_milestone(board)
    with Session(engine) as session:
        row = session.scalars(select(BoardEvent)).first()
        row.after = "tampered"
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()
    with Session(engine) as session:
        session.delete(session.scalars(select(BoardEvent)).first())
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()


def test_editing_keeps_an_existing_past_due_date_but_refuses_moving_one_into_the_past(board, clock):
    created = add_milestone(board, due="2026-03-10").milestone
    assert created is not None
    clock.advance(days=20)  # now overdue
    keep = ProgramEdit("credentialing", milestone=milestone(due="2026-03-10", rag="red"), milestone_id=created.id)
    assert "milestone_rag" in board.edit(keep, actor=PMO).changed
    move = ProgramEdit("credentialing", milestone=milestone(due="2026-03-15"), milestone_id=created.id)
    with pytest.raises(BoardValidationError, match="in the past"):
        board.edit(move, actor=PMO)


def test_duplicate_names_rename_and_workstreams(board, engine):
    first = add_milestone(board, name="Alpha").milestone
    add_milestone(board, name="Beta")
    with pytest.raises(BoardValidationError, match="already has a milestone called 'Beta'"):
        add_milestone(board, name="Beta")
    assert first is not None
    renamed = ProgramEdit(
        "credentialing", milestone=milestone(name="Gamma", workstream="Stream"), milestone_id=first.id
    )
    board.edit(renamed, actor=PMO)
    assert {m.name for m in board.milestones("credentialing")} == {"Gamma", "Beta"}
    assert board.milestone_named("credentialing", "  gamma ").workstream == "Stream"
    with pytest.raises(UnknownMilestoneError, match="'Beta'"):
        board.milestone_named("credentialing", "Delta")
    assert ("workstream", "created") in [(e.target, e.action) for e in events(engine)]


def test_status_done_records_completion_date(board, clock):
    created = add_milestone(board).milestone
    assert created is not None
    clock.advance(days=3)
    board.edit(ProgramEdit("credentialing", milestone=milestone(status="done"), milestone_id=created.id), actor=PMO)
    (done,) = board.milestones("credentialing")
    assert (done.status, done.completed_on) == (WorkStatus.DONE, TODAY + dt.timedelta(days=3))
