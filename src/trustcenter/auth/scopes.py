"""The scopes of SPEC section 8. Agency clients and staff clients never share a scope."""

from __future__ import annotations

from collections.abc import Iterable

REQUESTS_SUBMIT = "requests:submit"
REQUESTS_READ = "requests:read"
DISCLOSURES_READ = "disclosures:read"
WEBHOOKS_MANAGE = "webhooks:manage"

REVIEW = "review"
NOTICES = "notices"
REPORTS = "reports"
AUDIT = "audit"
ADMIN = "admin"
INTROSPECT = "introspect"

AGENCY_SCOPES: dict[str, str] = {
    REQUESTS_SUBMIT: "submit, revise and withdraw the agency's requests; answer questions",
    REQUESTS_READ: "read the agency's own requests, their messages and decisions",
    DISCLOSURES_READ: "download the agency's own released disclosure packages",
    WEBHOOKS_MANAGE: "register and manage the agency's status webhooks, and turn its status "
    "e-mails on or off",
}

STAFF_SCOPES: dict[str, str] = {
    REVIEW: "read every request, review it and decide on it",
    NOTICES: "manage user notices and their exceptions",
    REPORTS: "build and publish transparency reports",
    AUDIT: "read the audit trail",
    ADMIN: "administer agencies, clients, vendors and overrides",
    INTROSPECT: "ask the introspection endpoint whether an access token is active (for a "
    "resource server)",
}

ALL_SCOPES: tuple[str, ...] = (*AGENCY_SCOPES, *STAFF_SCOPES)

#: What each staff role (``domain.staff.Role``, by value) lets a person do.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "reviewer": frozenset({REVIEW}),
    "notices": frozenset({NOTICES}),
    "reports": frozenset({REPORTS}),
    "auditor": frozenset({AUDIT}),
    "admin": frozenset({ADMIN}),
}


def scopes_of_roles(roles: Iterable[str]) -> frozenset[str]:
    """The staff scopes a person with ``roles`` holds."""
    return frozenset().union(*(ROLE_SCOPES.get(str(r), frozenset()) for r in roles))


#: Staff scopes that allow reading every request.
READ_ALL_REQUESTS = frozenset({REVIEW, AUDIT, ADMIN})


def parse_scopes(raw: str) -> list[str]:
    return [s for s in raw.replace(",", " ").split() if s]
