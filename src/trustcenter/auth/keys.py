"""Token signing keys: generated on first start, stored in the database, rotated by key id.

Several API processes share the database, so a key made by one is found by the others: an
unknown ``kid`` makes the store reload once before the token is refused. With a secret key
(``TRUSTCENTER_SECRET_KEY``) the private keys are stored encrypted (``auth.key_sealing``); keys
stored in clear before it was set are encrypted when the store loads. A key rotated out is
removed for good by ``retire`` once no token it signed can still be valid.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select

from trustcenter.auth.key_sealing import is_sealed, open_sealed, seal
from trustcenter.db.models import SigningKey
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.domain.audit import SYSTEM

ALG = "ES256"
#: How long a process keeps signing with the key it loaded before looking for a newer one.
RELOAD_AFTER = timedelta(minutes=5)
#: the longest an access token lives (``auth.tokens`` refuses longer ones)
MAX_TOKEN_LIFETIME = timedelta(hours=1)
#: after a rotation other processes may sign with the old key until they reload, and the
#: tokens they sign live up to an hour: only then can the old key go
RETIRE_AFTER = RELOAD_AFTER + MAX_TOKEN_LIFETIME


class KeyRetirementRefused(Exception):
    """``retire`` refused: the message says why and, if waiting helps, until when."""


class _At:
    """A clock stopped at the moment the caller gave."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


@dataclass(frozen=True, slots=True)
class StoredKey:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    encrypted: bool


class KeyStore:
    def __init__(self, db: Database, secret: bytes | None = None) -> None:
        self._db = db
        self._secret = secret
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
        if self._secret is not None and any(not is_sealed(r.private_jwk) for r in rows):
            await self._seal_stored()
            async with self._db.reader() as session:
                rows = (await session.scalars(select(SigningKey))).all()
        self._install(rows)
        self._loaded_at = now

    async def _seal_stored(self) -> None:
        """Encrypt the keys stored in clear (from before the secret key was set)."""
        assert self._secret is not None
        async with self._db.transaction() as session:
            rows = (await session.scalars(select(SigningKey).with_for_update())).all()
            for row in rows:
                if not is_sealed(row.private_jwk):
                    row.private_jwk = seal(self._secret, row.kid, row.private_jwk)

    def _stored(self, kid: str, private_jwk: str) -> str:
        return seal(self._secret, kid, private_jwk) if self._secret is not None else private_jwk

    async def reload_if_stale(self, now: datetime) -> None:
        """Pick up a key rotated by another process (``trustcenter keys rotate``)."""
        if self._loaded_at is None or now - self._loaded_at >= RELOAD_AFTER:
            await self.load(now)

    def _install(self, rows: Sequence[SigningKey]) -> None:
        self._keys = {
            r.kid: ECKey.import_key(json.loads(open_sealed(self._secret, r.kid, r.private_jwk)))
            for r in rows
        }
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
                if self._secret is not None and not is_sealed(row.private_jwk):
                    row.private_jwk = seal(self._secret, row.kid, row.private_jwk)
            session.add(
                SigningKey(
                    kid=kid,
                    alg=ALG,
                    private_jwk=self._stored(kid, json.dumps(key.as_dict(private=True))),
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

    async def retire(self, kid: str, now: datetime) -> None:
        """Remove a rotated-out key for good, once no token it signed can still be valid."""
        async with self._db.transaction() as session:
            row = await session.get(SigningKey, kid, with_for_update=True)
            if row is None:
                raise KeyRetirementRefused(f"there is no signing key {kid!r}")
            if row.retired_at is None:
                raise KeyRetirementRefused(
                    f"{kid} is the current signing key: run 'trustcenter keys rotate' first"
                )
            usable_until = row.retired_at + RETIRE_AFTER
            if now < usable_until:
                raise KeyRetirementRefused(
                    f"tokens signed with {kid} can still be valid until "
                    f"{usable_until:%Y-%m-%d %H:%M:%S} UTC: retire it after that"
                )
            await session.delete(row)
            await record(
                session,
                _At(now),
                SYSTEM,
                "signing_key.retired",
                ("signing_key", kid),
                data={"rotated_out_at": row.retired_at.isoformat()},
            )
        self._keys.pop(kid, None)

    async def stored(self) -> list[StoredKey]:
        """The keys in the database, oldest first (never their private part)."""
        async with self._db.reader() as session:
            rows = (await session.scalars(select(SigningKey).order_by(SigningKey.created_at))).all()
        return [
            StoredKey(r.kid, r.created_at, r.retired_at, is_sealed(r.private_jwk)) for r in rows
        ]
