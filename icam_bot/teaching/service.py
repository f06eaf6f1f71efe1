"""The teaching service: read the review queue, close a row (an existing entry, a new answer, out of scope,
ignored), approve or reject drafts (two-person rule). Every action is audited in its own transaction, with the
live version bump and the messages owed to the askers (the outbox) when something goes live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.answers import Responder
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.knowledge.keys import phrasing_key
from icam_bot.knowledge.model import Entry
from icam_bot.knowledge.site import render
from icam_bot.questions.signals import SignalKind, add_signal
from icam_bot.teaching.drafts import AnswerForm, entry_fields, validate
from icam_bot.teaching.flags import EvaluationGuard, Flag
from icam_bot.teaching.live import bump_version, detached
from icam_bot.teaching.merge import Change
from icam_bot.teaching.models import ChangeKind, ChangeStatus, LiveChange, ReviewClosure
from icam_bot.teaching.queue import QueueRow, find_row, open_rows
from icam_bot.teaching.records import Recorder, TeachingError, closure_askers


class Roles(Protocol):
    """Who is in the PMO and who staffs which program (the routing file: ``ProgramsConfig``)."""

    def is_pmo(self, user_id: str) -> bool: ...

    def programs_staffed_by(self, user_id: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Outcome:
    """What a teaching action did, for the person who took it."""

    message: str
    closure_id: int | None = None
    change_ids: tuple[int, ...] = ()
    notified: int = 0
    flags: tuple[Flag, ...] = ()
    live: bool = False


class TeachingService:
    """Over the store's engine, the serving Responder (entries, matcher), the routing file's roles and the
    evaluation guard. Synchronous: async callers use ``asyncio.to_thread``."""

    def __init__(
        self,
        engine: Engine,
        responder: Responder,
        roles: Roles,
        *,
        guard: EvaluationGuard | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions: sessionmaker[Session] = make_session_factory(engine)
        self.responder = responder
        self.roles = roles
        self.guard = guard
        self.clock = clock

    # -- permissions -------------------------------------------------------------------------------------
    def may_review(self, actor: str) -> bool:
        """PMO members and program staff (entry owners) see the queue."""
        return self.roles.is_pmo(actor) or bool(self.roles.programs_staffed_by(actor))

    def _may_own(self, actor: str, program: str | None) -> bool:
        return self.roles.is_pmo(actor) or (program is not None and program in self.roles.programs_staffed_by(actor))

    def _require(self, actor: str, program: str | None, what: str) -> None:
        if not self._may_own(actor, program):
            raise TeachingError(f"Only PMO members and the entry's program owners can {what}.")

    # -- reading -----------------------------------------------------------------------------------------
    def queue(self, actor: str, limit: int = 10) -> list[QueueRow]:
        """The open rows (at most ``limit``), each with the bot's best candidates (offered then, matched now)."""
        if not self.may_review(actor):
            raise TeachingError("Only PMO members and program owners see the review queue.")
        with self.sessions() as session:
            rows = open_rows(session)[:limit]
        return [self._with_candidates(row) for row in rows]

    def _with_candidates(self, row: QueueRow) -> QueueRow:
        matched = self.responder.matcher.match(row.question).candidates
        ids = [e for e in row.candidates if self.responder.entry(e)] + [c.entry_id for c in matched]
        return replace(row, candidates=tuple(dict.fromkeys(ids))[:3])

    def find(self, actor: str, key: str) -> QueueRow | None:
        """The open row with ``key`` (None when closed), for a form about to close it."""
        if not self.may_review(actor):
            raise TeachingError("Only PMO members and program owners see the review queue.")
        with self.sessions() as session:
            return find_row(session, key)

    def drafts(self) -> list[Change]:
        with self.sessions() as session:
            rows = session.scalars(
                select(LiveChange).where(LiveChange.status == ChangeStatus.DRAFT.value).order_by(LiveChange.id)
            )
            return [detached(r) for r in rows]

    def search(self, words: str, limit: int = 10) -> list[Entry]:
        """Entries for a word search (the matcher's ranking, then the id, question or tags containing the words)."""
        found = [c.entry_id for c in self.responder.matcher.match(words).candidates] if words.strip() else []
        lowered = words.lower().split()
        for entry in self.responder.kb.entries:
            text = f"{entry.id} {entry.question} {' '.join(entry.tags)}".lower()
            if lowered and all(w in text for w in lowered):
                found.append(entry.id)
        entries = [self.responder.entry(e) for e in dict.fromkeys(found)]
        return [e for e in entries if e is not None][:limit]

    def propose_from_thread(self, actor: str, question: str, asker: str, answer: str, author: str) -> None:
        """ "Mark as answer": a PMO member's thread reply (by ``author``, a PMO member) and the thread's question
        go to the queue as a proposed answer (audited)."""
        if not (self.roles.is_pmo(actor) and self.roles.is_pmo(author)):
            raise TeachingError("Only replies written by ICAM PMO members can be marked as answers, by PMO members.")
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            add_signal(session, SignalKind.PROPOSED, asker, question, proposal=answer, proposed_by=author)
            rec.audit("answer_proposed", "queue", after=question[:200], detail=f"reply by {author}")

    # -- closing -----------------------------------------------------------------------------------------
    def close_with_entry(self, actor: str, key: str, entry_id: str) -> Outcome:
        """ "It's this entry": the row's questions become phrasings of ``entry_id`` (flagged ones wait for a
        second person) and every asker gets the answer."""
        entry = self.responder.entry(entry_id)
        if entry is None:
            raise TeachingError(f"There is no entry `{entry_id}` in the knowledge base.")
        self._require(actor, entry.owner, "close a row with this entry")
        with self.sessions() as session:
            row = self._row(session, key)
        known = {phrasing_key(p) for p in entry.phrasings}
        phrasings = []
        for question in row.questions:  # one phrasing per wording the matcher can tell apart
            key_of = phrasing_key(question)
            if key_of not in known:
                known.add(key_of)
                phrasings.append(question)
        flags = self.guard.check(self.responder, entry_id, phrasings) if self.guard and phrasings else []
        flagged = {f.phrasing for f in flags}
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            closure = rec.close(row, "entry", entry_id)
            ids = []
            for text in phrasings:
                status = ChangeStatus.DRAFT if text in flagged else ChangeStatus.LIVE
                change = rec.change(ChangeKind.PHRASING, entry_id, status, text=text)
                change.closure_id = closure.id
                if text in flagged:
                    change.flags = [
                        {"question": f.question, "expected": f.expected} for f in flags if f.phrasing == text
                    ]
                session.flush()
                ids.append(change.id)
                rec.audit(
                    "phrasing_flagged" if text in flagged else "phrasing_live",
                    entry_id,
                    change_id=change.id,
                    closure_id=closure.id,
                    after=text,
                )
            if len(flagged) < len(phrasings):
                bump_version(session)
            notified = rec.notify(closure.id, row.asked, self._entry_payload(entry))
        held = (
            f" {len(flagged)} phrasing(s) wait for a second person: they would take other entries' questions."
            if flagged
            else ""
        )
        live = len(phrasings) - len(flagged)
        return Outcome(
            f"Closed: {len(row.askers)} asker(s) get `{entry_id}`; {live} new phrasing(s) live.{held}",
            closure.id,
            tuple(ids),
            notified,
            tuple(flags),
            live=len(flagged) < len(phrasings),
        )

    def propose(self, actor: str, form: AnswerForm, key: str | None = None) -> Outcome:
        """ "New answer": a draft entry (checked like a knowledge file's) that a second person approves; the row
        (when given) leaves the queue now and its askers hear back when the answer goes live."""
        self._require(actor, form.owner, "write an answer for this program")
        existing = self.responder.entry(form.entry_id.strip()) if form.entry_id.strip() else None
        if existing is not None:
            self._require(actor, existing.owner, "edit this entry")
        fields = entry_fields(form, self.responder.kb, self.clock().date())
        kb = self.responder.kb if existing is None else _without(self.responder.kb, existing.id)
        entry = validate(fields, kb)
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            row = self._row(session, key) if key else None
            closure = rec.close(row, "new_answer", entry.id) if row else None
            change = rec.change(ChangeKind.ENTRY, entry.id, ChangeStatus.DRAFT, entry=fields)
            change.closure_id = closure.id if closure else None
            session.flush()
            action = "entry_edit_proposed" if existing else "entry_proposed"
            rec.audit(
                action,
                entry.id,
                change_id=change.id,
                closure_id=closure.id if closure else None,
                after=entry.question,
            )
        return Outcome(
            f"Draft `{entry.id}` saved: a second PMO member or a `{entry.owner}` program owner approves it before it "
            "goes live.",
            closure.id if closure else None,
            (change.id,),
        )

    def approve(self, actor: str, change_id: int) -> Outcome:
        """A second person approves a draft (a new or edited entry, or a flagged phrasing): it goes live on every
        replica, and the askers of its row get the answer (once)."""
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            change = session.get(LiveChange, change_id, with_for_update=True)
            if change is None or change.status != ChangeStatus.DRAFT.value:
                raise TeachingError("That draft was already decided.")
            if change.proposed_by == actor:
                raise TeachingError("Someone other than its author must approve a draft (two-person rule).")
            owner = (change.entry or {}).get("owner") if change.kind == ChangeKind.ENTRY else None
            if owner is None:
                target = self.responder.entry(change.target_id)
                owner = target.owner if target else None
            self._require(actor, owner, "approve this draft")
            entry = None
            if change.kind == ChangeKind.ENTRY:
                entry = validate(dict(change.entry or {}), _without(self.responder.kb, change.target_id))
                previous = session.scalars(
                    select(LiveChange).where(
                        LiveChange.kind == ChangeKind.ENTRY.value,
                        LiveChange.target_id == change.target_id,
                        LiveChange.status == ChangeStatus.LIVE.value,
                    )
                ).all()
                for old in previous:
                    old.status = ChangeStatus.SUPERSEDED.value
                    change.supersedes = old.id
            change.status = ChangeStatus.LIVE.value
            change.approved_by, change.approved_at = actor, self.clock()
            rec.audit(
                "approved",
                change.target_id,
                change_id=change.id,
                closure_id=change.closure_id,
                detail=f"proposed by {change.proposed_by}, approved by {actor}",
            )
            bump_version(session)
            notified = 0
            if change.closure_id is not None:
                closure = session.get(ReviewClosure, change.closure_id)
                shown = entry or self.responder.entry(change.target_id)
                if closure is not None and shown is not None:
                    notified = rec.notify(closure.id, closure_askers(closure), self._entry_payload(shown))
            target = change.target_id
        return Outcome(
            f"`{target}` is live: every replica answers with it within a minute.",
            change.closure_id,
            (change_id,),
            notified,
            live=True,
        )

    def reject(self, actor: str, change_id: int, reason: str = "") -> Outcome:
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            change = session.get(LiveChange, change_id, with_for_update=True)
            if change is None or change.status != ChangeStatus.DRAFT.value:
                raise TeachingError("That draft was already decided.")
            target = self.responder.entry(change.target_id)
            self._require(actor, (change.entry or {}).get("owner") or (target.owner if target else None), "reject it")
            change.status = ChangeStatus.REJECTED.value
            rec.audit("rejected", change.target_id, change_id=change.id, detail=reason or None)
        return Outcome("Draft rejected.")

    def close_out_of_scope(self, actor: str, key: str, redirect_id: str | None = None) -> Outcome:
        """ "Not ICAM": closed as out of scope; with ``redirect_id`` the questions become examples of that
        redirect (live at once) and the askers get its message."""
        self._require(actor, None, "close rows as out of scope")
        redirect = next((r for r in self.responder.kb.redirects if r.id == redirect_id), None) if redirect_id else None
        if redirect_id and redirect is None:
            raise TeachingError(f"There is no redirect `{redirect_id}`.")
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            row = self._row(session, key)
            closure = rec.close(row, "not_icam", redirect_id)
            notified = 0
            if redirect is not None:
                for text in row.questions:
                    rec.change(ChangeKind.REDIRECT_EXAMPLE, redirect.id, ChangeStatus.LIVE, text=text)
                bump_version(session)
                payload = {"kind": "redirect", "text": render(redirect.message, self.responder.kb.site)}
                notified = rec.notify(closure.id, row.asked, payload)
            rec.audit("closed_not_icam", redirect_id or "queue", closure_id=closure.id, after=row.question)
        return Outcome(
            f"Closed as not ICAM{f' (redirect `{redirect_id}`)' if redirect_id else ''}.",
            closure.id,
            notified=notified,
            live=redirect is not None,
        )

    def ignore(self, actor: str, key: str) -> Outcome:
        self._require(actor, None, "dismiss rows")
        with self.sessions.begin() as session:
            rec = Recorder(session, actor, self.clock())
            row = self._row(session, key)
            closure = rec.close(row, "ignore", None)
            rec.audit("ignored", "queue", closure_id=closure.id, after=row.question)
        return Outcome("Dismissed.", closure.id)

    # -- in a transaction ----------------------------------------------------------------------------------
    def _row(self, session: Session, key: str) -> QueueRow:
        row = find_row(session, key)
        if row is None:
            raise TeachingError("That row was already closed (or its questions were answered).")
        return row

    def _entry_payload(self, entry: Entry) -> dict[str, Any]:
        return {
            "kind": "answer",
            "entry_id": entry.id,
            "title": entry.question,
            "text": render(entry.answer, self.responder.kb.site),
            "sources": [{"title": r.title, "url": r.url} for r in entry.references],
        }


def _without(kb: Any, entry_id: str) -> Any:
    return replace(kb, entries=[e for e in kb.entries if e.id != entry_id])


def questions_of(rows: Sequence[QueueRow]) -> int:
    return sum(r.count for r in rows)
