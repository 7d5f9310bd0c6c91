"""The domain's closed sets exposed as GraphQL enums (upper-case member names)."""

from __future__ import annotations

from enum import Enum

import strawberry

from trustcenter.domain import enums as d
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.lifecycle import RequestStatus as _RequestStatus

InfoType = strawberry.enum(d.InfoType, description="Information types A to E of the policy.")
IdentifierType = strawberry.enum(d.IdentifierType, description="How a target is named.")
AgencyKind = strawberry.enum(d.AgencyKind)
VerificationState = strawberry.enum(d.VerificationState)
LegalBasisKind = strawberry.enum(d.LegalBasisKind)
IssuerRole = strawberry.enum(d.IssuerRole, description="Who issued the legal basis.")
Category = strawberry.enum(d.Category, description="Transparency-report categories.")
DecisionOutcome = strawberry.enum(d.DecisionOutcome)
ReasonCode = strawberry.enum(d.ReasonCode)
RequestStatus = strawberry.enum(_RequestStatus)
RequestOperation = strawberry.enum(Operation, name="RequestOperation")


@strawberry.enum(description="What kind of client a token belongs to.")
class PrincipalKind(Enum):
    AGENCY = "agency"
    STAFF = "staff"


@strawberry.enum(description="Where a user notice stands.")
class NoticeStatus(Enum):
    SCHEDULED = "scheduled"
    SUPPRESSED = "suppressed"
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.enum(description="A lawful reason to hold a user notice back.")
class NoticeExceptionKind(Enum):
    COURT_ORDER_OR_LAW = "court_order_or_law"
    RISK_OF_HARM = "risk_of_harm"
    CHILD_ABUSE = "child_abuse"
