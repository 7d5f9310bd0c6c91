"""Token signing keys: generated on first start, stored in the database, rotated by key id.

Several API processes share the database, so a key made by one is found by the others: an
unknown ``kid`` makes the store reload once before the token is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select

from trustcenter.db.models import SigningKey
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.domain.audit import SYSTEM

ALG = "ES256"
#: How long a process keeps signing with the key it loaded before looking for a newer one.
RELOAD_AFTER = timedelta(minutes=5)


class _At:
    """A clock stopped at the moment the caller gave."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


class KeyStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._active: ECKey | None = None
        self._keys: dict[str, ECKey] = {}
        self._loaded_at: datetime | None = None

    async def load(self, now: datetime) -> None:
        """Read the keys; generate the first one if there is none."""
        async with self._db.reader() as session:
            rows = (await session.scalars(select(SigningKey))).all()
        if not any(r.retired_at is None for r in rows):
            await self.rotate(now)
            return
        self._install(rows)
        self._loaded_at = now

    async def reload_if_stale(self, now: datetime) -> None:
        """Pick up a key rotated by another process (``trustcenter keys rotate``)."""
        if self._loaded_at is None or now - self._loaded_at >= RELOAD_AFTER:
            await self.load(now)

    def _install(self, rows: Sequence[SigningKey]) -> None:
        self._keys = {r.kid: ECKey.import_key(json.loads(r.private_jwk)) for r in rows}
        active = [r for r in rows if r.retired_at is None]
        newest = max(active, key=lambda r: r.created_at)
        self._active = self._keys[newest.kid]

    async def rotate(self, now: datetime) -> str:
        """Make a new signing key; the previous ones are retired but still verify."""
        kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALG, "use": "sig"})
        async with self._db.transaction() as session:
            for row in (await session.scalars(select(SigningKey))).all():
                if row.retired_at is None:
                    row.retired_at = now
            session.add(
                SigningKey(
                    kid=kid,
                    alg=ALG,
                    private_jwk=json.dumps(key.as_dict(private=True)),
                    created_at=now,
                    retired_at=None,
                )
            )
            await record(
                session,
                _At(now),
                SYSTEM,
                "signing_key.created",
                ("signing_key", kid),
                data={"alg": ALG},
            )
        async with self._db.reader() as session:
            self._install((await session.scalars(select(SigningKey))).all())
        self._loaded_at = now
        return kid

    @property
    def signing_key(self) -> ECKey:
        if self._active is None:
            raise RuntimeError("signing keys are not loaded")
        return self._active

    def public_jwks(self) -> dict[str, list[dict[str, object]]]:
        return KeySet(list(self._keys.values())).as_dict(private=False)  # type: ignore[return-value]

    def verification_keys(self) -> KeySet:
        return KeySet(list(self._keys.values()))

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    async def refresh(self) -> None:
        async with self._db.reader() as session:
            rows = (await session.scalars(select(SigningKey))).all()
        if rows:
            self._install(rows)
