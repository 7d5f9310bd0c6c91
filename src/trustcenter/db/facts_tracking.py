"""Keeping the report's facts current in the transaction of every change, without a call at
every change site: each session notes, when it has flushed, the requests whose counted columns it
wrote (a new request, a status that changed the report outcome or the time of the first
answer, a reclassification, a target resolved at review …), and recomputes their facts
(:func:`trustcenter.db.report_facts.refresh`) just before it commits. A change site cannot be
missed as long as it writes through the ORM; Core writes name their requests with
:func:`trustcenter.db.report_facts.pending`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from trustcenter.db.models import LegalBasis, Request, Target
from trustcenter.db.report_facts import ALONE, PENDING, refresh, unmerged

#: the columns the facts are computed from, per table
REQUEST_COLUMNS = (
    "received_at", "country", "category", "report_outcome", "responded_at", "revision_of_id",
    "legal_basis_id",
)  # fmt: skip
TARGET_COLUMNS = ("request_id", "identifier_type", "identifier_key", "subject_key")
BASIS_COLUMNS = ("kind", "reference_key")
#: legal bases whose key changed, mapped to their requests at commit
BASES = "report_facts_bases"
#: the requests this transaction inserted through the ORM (id: row)
NEW = "report_facts_new"


def _changed(obj: Any, columns: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[c].history.has_changes() for c in columns)


def _note(session: Session, _context: Any) -> None:
    """After a flush (ids given, the session still lists what it flushed): note the requests."""
    ids: set[uuid.UUID] = set()
    bases: set[uuid.UUID] = set()
    for obj in session.new:
        if isinstance(obj, Request):
            ids.add(obj.id)
            session.info.setdefault(NEW, {})[obj.id] = obj
        elif isinstance(obj, Target):
            ids.add(obj.request_id)
    for obj in session.dirty:
        if isinstance(obj, Request) and _changed(obj, REQUEST_COLUMNS):
            ids.add(obj.id)
        elif isinstance(obj, Target) and _changed(obj, TARGET_COLUMNS):
            ids.add(obj.request_id)
            before = inspect(obj).attrs.request_id.history.deleted
            ids.update(i for i in before if i is not None)
        elif isinstance(obj, LegalBasis) and _changed(obj, BASIS_COLUMNS):
            bases.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Target):
            ids.add(obj.request_id)
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)
    if bases:
        session.info.setdefault(BASES, set()).update(bases)


def _settle(session: Session) -> None:
    """Before the commit: write what is pending, then the facts of every noted request."""
    session.flush()
    ids: set[uuid.UUID] = session.info.pop(PENDING, set())
    bases: set[uuid.UUID] = session.info.pop(BASES, set())
    new: dict[uuid.UUID, Request] = session.info.pop(NEW, {})
    named: set[uuid.UUID] = session.info.pop(ALONE, set())
    if bases:
        ids.update(session.scalars(select(Request.id).where(Request.legal_basis_id.in_(bases))))
    if ids:
        refresh(session, ids, alone=_alone(session, new, named))


def _alone(
    session: Session, new: dict[uuid.UUID, Request], named: set[uuid.UUID]
) -> set[uuid.UUID]:
    """The requests inserted in this transaction (through the ORM, or named by a Core
    writer) that are, as they stand now, in no merged unit: they have no facts yet and share
    their unit with no other request, so their units need no look-up."""
    alone = set()
    for request_id in new.keys() | named:
        row = new.get(request_id) or session.identity_map.get(
            session.identity_key(Request, request_id)
        )
        if row is None or unmerged(row.report_outcome, row.revision_of_id):
            alone.add(request_id)
    return alone


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(BASES, None)
    session.info.pop(NEW, None)
    session.info.pop(ALONE, None)


class TrackedSession(Session):
    """The sessions of :class:`trustcenter.db.session.Database`: they keep the report's facts."""


event.listen(TrackedSession, "after_flush", _note)
event.listen(TrackedSession, "before_commit", _settle)
event.listen(TrackedSession, "after_rollback", _forget)
