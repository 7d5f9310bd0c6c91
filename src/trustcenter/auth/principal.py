"""Who is asking: the result of checking a token, handed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    AGENCY = "agency"
    STAFF = "staff"


#: how a person's ``client_id`` begins (no OAuth client's id does)
PERSON_PREFIX = "person:"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    client_id: str | None = None
    client_pk: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    agency_verified: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    #: a person on the staff (signed in to the console, or through a client acting for them)
    staff_id: uuid.UUID | None = None
    staff_name: str | None = None
    #: the signed-in session that carries the call (its public id, as the audit names it)
    session_id: str | None = None

    @classmethod
    def person(
        cls,
        staff_id: uuid.UUID,
        name: str,
        email: str,
        scopes: frozenset[str],
        session_id: str | None = None,
    ) -> Principal:
        """A staff member in person. ``client_id`` is ``person:<e-mail>``: where the product
        records who did something (a decision's ``decidedBy``, a release's ``releasedBy``), a
        person is named by it; the audit names them by id and name (``services.audit``)."""
        return cls(
            PrincipalKind.STAFF,
            client_id=f"{PERSON_PREFIX}{email}",
            scopes=scopes,
            staff_id=staff_id,
            staff_name=name,
            session_id=session_id,
        )

    @property
    def authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_person(self) -> bool:
        """A staff member in person, as opposed to a machine client or the operator."""
        return self.staff_id is not None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def has_any(self, scopes: frozenset[str] | set[str]) -> bool:
        return bool(self.scopes & scopes)


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)
