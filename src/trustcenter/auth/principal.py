"""Who is asking: the result of checking a token, handed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    AGENCY = "agency"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    client_id: str | None = None
    client_pk: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    agency_verified: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def has_any(self, scopes: frozenset[str] | set[str]) -> bool:
        return bool(self.scopes & scopes)


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)
