"""The domain's closed sets exposed as GraphQL enums (upper-case member names)."""

from __future__ import annotations

import re
from enum import Enum
from typing import NewType

import strawberry
from graphql import EnumValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from trustcenter.domain import enums as d
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.lifecycle import RequestStatus as _RequestStatus
from trustcenter.domain.notice_policy import ExceptionKind
from trustcenter.domain.notice_states import NoticeStatus as _NoticeStatus

InfoType = strawberry.enum(d.InfoType, description="Information types A to E of the policy.")
IdentifierType = strawberry.enum(d.IdentifierType, description="How a target is named.")
AgencyKind = strawberry.enum(d.AgencyKind)
VerificationState = strawberry.enum(d.VerificationState)


def _code(value: object, pattern: re.Pattern[str], what: str) -> str:
    """A code written as a string; anything else (a number, a list, a long or empty string)
    is the caller's mistake, answered with the value cut short."""
    if not isinstance(value, str):
        raise ValueError(
            f"{what}, written as a string or an enum value, not {type(value).__name__}"
        )
    code = value.strip().upper()
    if not pattern.match(code):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ValueError(f"{shown!r} is not {what}")
    return code


def _code_scalar(
    name: str, description: str, pattern: re.Pattern[str], example: tuple[str, str]
) -> ScalarDefinition:
    """An open vocabulary that reads like an enum: a scalar taking ``EXAMPLE`` or ``"EXAMPLE"``
    (plugins add codes, so it cannot be a closed GraphQL enum); the services check that a code
    is registered."""
    what = f"{example[0]} such as {example[1]}"

    def parse_value(value: object) -> str:
        return _code(value, pattern, what)

    def parse_literal(node: ValueNode, variables: dict[str, object] | None = None) -> str:
        if isinstance(node, EnumValueNode | StringValueNode):
            return parse_value(node.value)
        raise ValueError(f"write {what}")

    return strawberry.scalar(
        name=name,
        description=description,
        serialize=lambda value: str(value).upper(),
        parse_value=parse_value,
        parse_literal=parse_literal,
    )


_CATEGORY = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
_REASON = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")

#: a legal-basis kind; the schema maps it to the ``LegalBasisKind`` scalar below
LegalBasisKind = NewType("LegalBasisKind", str)

LEGAL_BASIS_KIND_SCALAR = _code_scalar(
    "LegalBasisKind",
    "A kind of legal basis: "
    + ", ".join(k.name for k in d.LegalBasisKind)
    + ", or one a plugin registered. Written like an enum value (kind: WARRANT) or as a string.",
    _CATEGORY,
    ("a kind of legal basis", "WARRANT"),
)
IssuerRole = strawberry.enum(d.IssuerRole, description="Who issued the legal basis.")

#: a category code; the schema maps it to the ``Category`` scalar below
Category = NewType("Category", str)

CATEGORY_SCALAR = _code_scalar(
    "Category",
    "A transparency-report category: PRODUCT, ACCOUNT, TRANSACTION, EMERGENCY, or "
    "one a plugin registered (the `categories` query lists them). Written like an enum value "
    "(category: ACCOUNT) or as a string.",
    _CATEGORY,
    ("a category name", "ACCOUNT"),
)
DecisionOutcome = strawberry.enum(d.DecisionOutcome)

#: a reason code; the schema maps it to the ``ReasonCode`` scalar below
ReasonCode = NewType("ReasonCode", str)

REASON_CODE_SCALAR = _code_scalar(
    "ReasonCode",
    "Why an item was not approved as asked: "
    + ", ".join(c.name for c in d.ReasonCode)
    + ", or one a plugin registered (the `reasonCodes` query lists them). Agencies read "
    "NO_RESPONSIVE_DATA for an item that yields nothing because of the account's state. "
    "Written like an enum value (reasonCode: OVERBROAD) or as a string.",
    _REASON,
    ("a reason code", "OVERBROAD"),
)
RequestStatus = strawberry.enum(_RequestStatus)
RequestOperation = strawberry.enum(Operation, name="RequestOperation")


@strawberry.enum(description="What kind of client a token belongs to.")
class PrincipalKind(Enum):
    AGENCY = "agency"
    STAFF = "staff"


# strawberry marks the domain enums and returns them unchanged; naming them plainly lets type
# checkers see the domain enum itself where these are used as types
strawberry.enum(_NoticeStatus, description="Where a user notice stands.")
strawberry.enum(
    ExceptionKind,
    name="NoticeExceptionKind",
    description="A lawful reason to hold a user notice back.",
)
NoticeStatus = _NoticeStatus
NoticeExceptionKind = ExceptionKind
