"""Token signing keys as stored: each function is one unit of work and opens its own reader or
transaction (``auth.keys.KeyStore`` decides what to store, this module only stores it).

How a private key is stored (in clear or sealed) is the caller's: it passes ``reseal``, which
turns a stored value into the one to keep (the same value when nothing needs doing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select

from trustcenter.db.models import SigningKey
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.domain.audit import SYSTEM

#: (kid, stored private JWK) -> the value to store
Reseal = Callable[[str, str], str]


class _At:
    """A clock stopped at the moment the caller gave (the audit event's time)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def _reseal_rows(rows: Sequence[SigningKey], reseal: Reseal | None) -> None:
    if reseal is None:
        return
    for row in rows:
        stored = reseal(row.kid, row.private_jwk)
        if stored != row.private_jwk:
            row.private_jwk = stored


async def all_keys(db: Database, *, oldest_first: bool = False) -> list[SigningKey]:
    query = select(SigningKey)
    if oldest_first:
        query = query.order_by(SigningKey.created_at)
    async with db.reader() as session:
        return list((await session.scalars(query)).all())


async def reseal_all(db: Database, reseal: Reseal) -> None:
    """Store every key as ``reseal`` says (the keys locked while it is done)."""
    async with db.transaction() as session:
        rows = (await session.scalars(select(SigningKey).with_for_update())).all()
        _reseal_rows(rows, reseal)


async def add_current(
    db: Database,
    now: datetime,
    *,
    kid: str,
    alg: str,
    private_jwk: str,
    reseal: Reseal | None,
) -> None:
    """Store a new current key: every other key is retired as of ``now`` (still verifying),
    stored as ``reseal`` says, and the creation is audited."""
    async with db.transaction() as session:
        rows = (await session.scalars(select(SigningKey))).all()
        for row in rows:
            if row.retired_at is None:
                row.retired_at = now
        _reseal_rows(rows, reseal)
        session.add(
            SigningKey(kid=kid, alg=alg, private_jwk=private_jwk, created_at=now, retired_at=None)
        )
        await record(
            session,
            _At(now),
            SYSTEM,
            "signing_key.created",
            ("signing_key", kid),
            data={"alg": alg},
        )


async def delete_key(
    db: Database, kid: str, now: datetime, check: Callable[[SigningKey | None], None]
) -> None:
    """Delete a key for good, audited; ``check`` sees the locked row (None: no such key) and
    raises when it may not go, leaving everything as it was."""
    async with db.transaction() as session:
        row = await session.get(SigningKey, kid, with_for_update=True)
        check(row)
        assert row is not None and row.retired_at is not None
        await session.delete(row)
        await record(
            session,
            _At(now),
            SYSTEM,
            "signing_key.retired",
            ("signing_key", kid),
            data={"rotated_out_at": row.retired_at.isoformat()},
        )
