"""Token signing keys: generated on first start, stored in the database, rotated by key id.

Several API processes share the database, so a key made by one is found by the others: an
unknown ``kid`` makes the store reload once before the token is refused. With a secret key
(``TRUSTCENTER_SECRET_KEY``) the private keys are stored encrypted (``auth.key_sealing``); keys
stored in clear before it was set are encrypted when the store loads. A key rotated out is
removed for good by ``retire`` once no token it signed can still be valid. The rows are read
and written by ``db.repositories.keys``, one transaction per change.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc.jwk import ECKey, KeySet

from trustcenter.auth.key_sealing import is_sealed, open_sealed, seal
from trustcenter.db.models import SigningKey
from trustcenter.db.repositories import keys as stored_keys
from trustcenter.db.session import Database

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


@dataclass(frozen=True, slots=True)
class StoredKey:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    encrypted: bool


def _retirement_check(kid: str, now: datetime) -> Callable[[SigningKey | None], None]:
    """Refuses to retire a key that is missing, current, or may still verify a valid token."""

    def check(row: SigningKey | None) -> None:
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

    return check


class KeyStore:
    def __init__(self, db: Database, secret: bytes | None = None) -> None:
        self._db = db
        self._secret = secret
        self._active: ECKey | None = None
        self._keys: dict[str, ECKey] = {}
        self._loaded_at: datetime | None = None

    async def load(self, now: datetime) -> None:
        """Read the keys; generate the first one if there is none."""
        rows = await stored_keys.all_keys(self._db)
        if not any(r.retired_at is None for r in rows):
            await self.rotate(now)
            return
        reseal = self._reseal()
        if reseal is not None and any(not is_sealed(r.private_jwk) for r in rows):
            # encrypt the keys stored in clear (from before the secret key was set)
            await stored_keys.reseal_all(self._db, reseal)
            rows = await stored_keys.all_keys(self._db)
        self._install(rows)
        self._loaded_at = now

    def _reseal(self) -> stored_keys.Reseal | None:
        """How stored keys are kept at rest: sealed under the secret key, if there is one."""
        secret = self._secret
        if secret is None:
            return None
        return lambda kid, stored: stored if is_sealed(stored) else seal(secret, kid, stored)

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
        reseal = self._reseal()
        private_jwk = json.dumps(key.as_dict(private=True))
        await stored_keys.add_current(
            self._db,
            now,
            kid=kid,
            alg=ALG,
            private_jwk=reseal(kid, private_jwk) if reseal is not None else private_jwk,
            reseal=reseal,
        )
        self._install(await stored_keys.all_keys(self._db))
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
        rows = await stored_keys.all_keys(self._db)
        if rows:
            self._install(rows)

    async def retire(self, kid: str, now: datetime) -> None:
        """Remove a rotated-out key for good, once no token it signed can still be valid."""
        await stored_keys.delete_key(self._db, kid, now, _retirement_check(kid, now))
        self._keys.pop(kid, None)

    async def stored(self) -> list[StoredKey]:
        """The keys in the database, oldest first (never their private part)."""
        rows = await stored_keys.all_keys(self._db, oldest_first=True)
        return [
            StoredKey(r.kid, r.created_at, r.retired_at, is_sealed(r.private_jwk)) for r in rows
        ]
