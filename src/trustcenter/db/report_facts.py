"""The report's facts: one narrow row per request (``report_facts``), recomputed from the
request tables in the transaction of every change that affects it.

What a row holds is the counting rules of ``docs/transparency-method.md`` applied once, when
the request changes, instead of at every build: the request's year, country and unit (rule 1
merges released requests that are not revisions by their legal basis, kind, reference key and
country, within the year), and — on the row of the unit's first-received request, the one that
counts it — the unit's category, whether it was answered with data or challenged or denied,
its distinct accounts and products (rule 4) and the days from its first receipt to its first
answer. The SQL is the same expression by expression as the report computed at every build
before (``tests/report_sql_reference.py`` keeps that), on SQLite and PostgreSQL alike, so the
figures cannot drift.

Who calls it: :mod:`trustcenter.db.facts_tracking` at every commit, for the requests whose
counted columns (or targets) the ORM wrote in that transaction; writers that bypass the ORM
(bulk Core inserts: the history import) name their requests with :func:`pending`; and
``trustcenter report rebuild-facts`` / the migration rebuild everything with :func:`rebuild`.
The functions are synchronous (they run inside the session's commit); async callers go
through ``session.run_sync``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC
from functools import cache
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from trustcenter.db.models import LegalBasis, ReportFact, Request, Target
from trustcenter.domain.report import RELEASED, Outcome

ACCOUNT_TYPES = ("email", "phone", "username", "order_id")
PRODUCT_TYPES = ("serial_number",)
#: requests per statement when many are refreshed at once (bound parameters stay few)
CHUNK = 500
#: where a session keeps the ids of requests whose facts are due at commit
PENDING = "report_facts_pending"

FACTS: Table = ReportFact.__table__  # type: ignore[assignment]
F = ReportFact


#: of the pending requests, those inserted in this transaction and in no merged unit
ALONE = "report_facts_alone"
_RELEASED = frozenset(o.value for o in RELEASED)


def pending(
    session: Session | Any, request_ids: Iterable[uuid.UUID], *, alone: bool = False
) -> None:
    """Have these requests' facts recomputed when ``session`` commits (for writers that bypass
    the ORM: a Core INSERT or UPDATE of requests or targets). Takes a sync or async session.
    ``alone``: the requests were inserted in this transaction and are :func:`unmerged`, so
    they have no facts yet and share their unit with no other request (their units are not
    looked up at commit)."""
    ids = set(request_ids)
    session.info.setdefault(PENDING, set()).update(ids)
    if alone:
        session.info.setdefault(ALONE, set()).update(ids)


def unmerged(outcome: str, revision_of_id: uuid.UUID | None) -> bool:
    """A request in no merged unit: rule 1 merges only released requests that are not
    revisions (:func:`_merged`, in Python)."""
    return outcome not in _RELEASED or revision_of_id is not None


def new_facts(
    request: Mapping[str, Any], targets: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The facts row of a request being inserted (its row and its targets' rows), computed
    here instead of read back from the tables, where that is simple: a request in no merged
    unit (:func:`unmerged`) and not answered yet, the counting unit of its own. None for any
    other (its facts are left to :func:`refresh`). The expressions are :func:`facts_select`'s
    for that case, one by one (a test compares the two on random submissions)."""
    if request["responded_at"] is not None:
        return None
    if not unmerged(request["report_outcome"], request["revision_of_id"]):
        return None
    accounts, products = set(), set()
    for t in targets:  # what a target names: the subject it resolved to, else itself
        subject, kind, key = t.get("subject_key"), t["identifier_type"], t["identifier_key"]
        named = subject if subject is not None else None if key is None else f"{kind}:{key}"
        if named is None:
            continue
        if subject.startswith("account:") if subject is not None else kind in ACCOUNT_TYPES:
            accounts.add(named)
        if subject.startswith("product:") if subject is not None else kind in PRODUCT_TYPES:
            products.add(named)
    outcome = request["report_outcome"]
    return {
        "request_id": request["id"],
        "year": request["received_at"].astimezone(UTC).year,
        "country": request["country"],
        "category": request["category"],
        "unit_key": None,
        "counted": True,
        "with_data": int(outcome == Outcome.WITH_DATA.value),
        "challenged": int(outcome in (Outcome.CHALLENGED.value, Outcome.REJECTED.value)),
        "accounts": len(accounts),
        "products": len(products),
        "days": None,
        "day": None,
    }


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def year_of(dialect: str, moment: Any) -> ColumnElement[Any]:
    """The UTC year of a timestamp column (SQLite stores UTC text, ``YYYY-MM-DD …``)."""
    if dialect == "sqlite":
        return cast(func.substr(moment, 1, 4), Integer)
    return cast(func.extract("year", func.timezone("UTC", moment)), Integer)


def _one_of(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN (…)`` of fixed values, one bound parameter each. A plain list would be an
    expanding parameter, which SQLAlchemy renders again into the statement's SQL at every
    execution (a regular-expression pass over the whole text: about 3 % of a submit's CPU for
    the facts' INSERT); this way the statement's SQL is compiled once and cached."""
    found: ColumnElement[bool] = column.in_([literal(v, String) for v in values])
    return found


def _merged() -> ColumnElement[bool]:
    """Rule 1 merges released requests that are not revisions."""
    return and_(
        _one_of(Request.report_outcome, sorted(o.value for o in RELEASED)),
        Request.revision_of_id.is_(None),
    )


def _basis_key() -> ColumnElement[Any]:
    return (
        literal("basis|") + LegalBasis.kind + "|" + LegalBasis.reference_key + "|" + Request.country
    )


#: the requests a refresh recomputes, bound at execution (the statements are built once)
_IDS: BindParameter[Any] = bindparam("fact_ids", expanding=True)
#: the one request a new submission's refresh computes: a plain parameter, so the statement's
#: SQL is compiled once and not rendered again for each execution as an expanding IN is
_ID: BindParameter[Any] = bindparam("fact_id")


def facts_select(
    dialect: str, request_ids: Collection[uuid.UUID] | BindParameter[Any] | None
) -> Any:
    """The facts rows of ``request_ids`` (every request: None; ``_IDS``: bound when executed),
    whose units must be whole among them: each request with its unit's figures, the
    first-received one counting it."""
    merged = _merged()
    key = case((merged, _basis_key()), else_=literal("request|") + cast(Request.id, String))
    year = year_of(dialect, Request.received_at)
    order = (Request.received_at, Request.id)
    base = select(
        Request.id.label("request_id"),
        year.label("year"),
        Request.country.label("country"),
        Request.report_outcome.label("outcome"),
        Request.received_at.label("received_at"),
        Request.responded_at.label("responded_at"),
        key.label("unit"),
        case((merged, _basis_key())).label("unit_key"),
        func.first_value(Request.category)
        .over(partition_by=(year, key), order_by=order)
        .label("category"),
        func.row_number().over(partition_by=(year, key), order_by=order).label("position"),
    ).join(LegalBasis, LegalBasis.id == Request.legal_basis_id)
    if isinstance(request_ids, BindParameter) and not request_ids.expanding:
        base = base.where(Request.id == request_ids)
    elif isinstance(request_ids, BindParameter):
        base = base.where(Request.id.in_(request_ids))
    elif request_ids is not None:
        base = base.where(Request.id.in_(list(request_ids)))
    b = base.cte("base")
    seconds = seconds_between(dialect, func.min(b.c.received_at), func.min(b.c.responded_at))
    units = (
        select(
            b.c.year,
            b.c.unit,
            func.max(case((b.c.outcome == Outcome.WITH_DATA.value, 1), else_=0)).label("with_data"),
            func.max(
                case(
                    (_one_of(b.c.outcome, [Outcome.CHALLENGED.value, Outcome.REJECTED.value]), 1),
                    else_=0,
                )
            ).label("challenged"),
            (cast(seconds, Float) / 86400.0).label("days"),
        )
        .group_by(b.c.year, b.c.unit)
        .cte("units")
    )
    # what a target names: the subject it resolved to at review, else the identifier itself
    named = func.coalesce(Target.subject_key, Target.identifier_type + ":" + Target.identifier_key)
    unresolved = Target.subject_key.is_(None)
    account = case(
        (Target.subject_key.like("account:%"), named),
        (and_(unresolved, _one_of(Target.identifier_type, ACCOUNT_TYPES)), named),
    )
    product = case(
        (Target.subject_key.like("product:%"), named),
        (and_(unresolved, _one_of(Target.identifier_type, PRODUCT_TYPES)), named),
    )
    targets = (
        select(
            b.c.year,
            b.c.unit,
            func.count(distinct(account)).label("accounts"),
            func.count(distinct(product)).label("products"),
        )
        .join(Target, Target.request_id == b.c.request_id)
        .group_by(b.c.year, b.c.unit)
        .cte("unit_targets")
    )
    u, t = units.c, targets.c
    return (
        select(
            b.c.request_id,
            b.c.year,
            b.c.country,
            b.c.category,
            b.c.unit_key,
            (b.c.position == 1).label("counted"),
            u.with_data,
            u.challenged,
            func.coalesce(t.accounts, 0).label("accounts"),
            func.coalesce(t.products, 0).label("products"),
            u.days,
            cast(u.days, Integer).label("day"),
        )
        .join(units, and_(u.year == b.c.year, u.unit == b.c.unit))
        .outerjoin(targets, and_(t.year == b.c.year, t.unit == b.c.unit))
    )


_COLUMNS = [
    "request_id", "year", "country", "category", "unit_key", "counted", "with_data",
    "challenged", "accounts", "products", "days", "day",
]  # fmt: skip


def _dialect(session: Session | Connection) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


def _write(
    session: Session | Connection, dialect: str, request_ids: Collection[uuid.UUID] | None
) -> None:
    if request_ids is None:
        session.execute(insert(FACTS).from_select(_COLUMNS, facts_select(dialect, None)))
    elif len(request_ids) == 1:
        session.execute(_insert_of(dialect, one=True), {"fact_id": next(iter(request_ids))})
    else:
        session.execute(_insert_of(dialect), {"fact_ids": list(request_ids)})


@cache
def _insert_of(dialect: str, *, one: bool = False) -> Any:
    """The INSERT … SELECT of some requests' facts (``one``: of one request, the common case),
    built once per dialect: building it costs more than running it for one request (about a
    tenth of a submit's CPU)."""
    return insert(FACTS).from_select(_COLUMNS, facts_select(dialect, _ID if one else _IDS))


@cache
def _units_of(dialect: str) -> Any:
    """The units these requests are in, by their facts so far and by their rows now."""
    year = year_of(dialect, Request.received_at)
    known = select(literal(1), F.year, F.unit_key).where(F.request_id.in_(_IDS))
    now = (
        select(literal(2), year, _basis_key())
        .join(LegalBasis, LegalBasis.id == Request.legal_basis_id)
        .where(Request.id.in_(_IDS), _merged())
    )
    return union_all(known, now)


def rebuild(session: Session | Connection) -> int:
    """Every request's facts again from the request tables (idempotent); the number of rows.
    Takes a session or a connection (the migration that made the table fills it so)."""
    dialect = _dialect(session)
    session.execute(delete(FACTS))
    _write(session, dialect, None)
    if dialect == "postgresql":  # the planner's statistics for the new rows (a hash GROUP BY)
        session.execute(text("ANALYZE report_facts"))
    return int(session.scalar(select(func.count()).select_from(FACTS)) or 0)


def refresh(
    session: Session, request_ids: Collection[uuid.UUID], alone: Collection[uuid.UUID] = ()
) -> None:
    """Recompute the facts of these requests and of every request sharing a merged unit with
    them, before or after the change (a release joins a unit, a reclassification may change
    the category of the unit it leads …). ``alone``: those of them known to have no facts
    yet and to be in no merged unit (inserted in this transaction, not released): their
    units are not looked up (a new submission's facts are one statement)."""
    ids = sorted(set(request_ids))
    for start in range(0, len(ids), CHUNK):
        _refresh(session, ids[start : start + CHUNK], alone)


def _refresh(session: Session, ids: list[uuid.UUID], alone: Collection[uuid.UUID]) -> None:
    dialect = _dialect(session)
    looked = [i for i in ids if i not in alone]
    rows = session.execute(_units_of(dialect), {"fact_ids": looked}).all() if looked else []
    had_facts = any(r[0] == 1 for r in rows)
    units = sorted({(r[1], r[2]) for r in rows if r[2] is not None})
    members = set(ids)
    if units:
        if dialect == "postgresql":  # one writer per merged unit at a time (see the docs)
            for y, k in units:
                session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{y}|{k}"}
                )
        members.update(
            session.scalars(select(F.request_id).where(tuple_(F.year, F.unit_key).in_(units))).all()
        )
        had_facts = True
    if had_facts:
        session.execute(delete(FACTS).where(F.request_id.in_(sorted(members))))
    _write(session, dialect, members)
