"""Who may do what: every use case's access rule, decided here and nowhere else.

Each service function starts with ``authorize(principal, "use_case")``; the GraphQL schema's
descriptions are written from the same table (``describe``), so what the schema says a field
needs and what the service checks cannot disagree. Which requests a reader sees is one rule too
(``request_scope``): staff with a reading scope see every agency's, an agency with
``requests:read`` its own, nobody else any.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import (
    ADMIN,
    AUDIT,
    DISCLOSURES_READ,
    NOTICES,
    READ_ALL_REQUESTS,
    REPORTS,
    REQUESTS_READ,
    REQUESTS_SUBMIT,
    REVIEW,
    STAFF_SCOPES,
    WEBHOOKS_MANAGE,
)


class NotAuthenticated(Exception):
    """No token was presented, and the operation is not public."""


class AccessDenied(Exception):
    """The principal lacks the scope the operation needs; nothing was changed."""

    def __init__(self, needed: str) -> None:
        super().__init__(f"this operation needs the scope {needed!r}")
        self.needed = needed


class Audience(StrEnum):
    PUBLIC = "anyone, with or without a token"
    CLIENT = "any authenticated client"
    AGENCY = "agency clients"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Rule:
    """One use case's rule: who may call it, and the scopes of which any one suffices."""

    audience: Audience
    scopes: frozenset[str] = frozenset()
    #: how the refusal names what was missing, as the API has always worded it
    label: str = ""

    @property
    def needed(self) -> str:
        return self.label or " or ".join(sorted(self.scopes))

    def describe(self) -> str:
        if self.audience is Audience.PUBLIC:
            return "Public: no token needed."
        if not self.scopes:
            return "Needs a token, any scope."
        return f"Scope: {self.needed}."


def _any(*scopes: str, label: str = "", audience: Audience = Audience.STAFF) -> Rule:
    return Rule(audience, frozenset(scopes), label)


_READERS = _any(*READ_ALL_REQUESTS, REQUESTS_READ, audience=Audience.CLIENT)

#: Every use case and its rule. Keys are the use cases' names; the services, the CLI's operator
#: and the schema's descriptions all read from here.
RULES: Mapping[str, Rule] = {
    # the agency's side
    "submit_request": _any(REQUESTS_SUBMIT, audience=Audience.AGENCY),
    "revise_request": _any(REQUESTS_SUBMIT, audience=Audience.AGENCY),
    "withdraw_request": _any(REQUESTS_SUBMIT, audience=Audience.AGENCY),
    "answer_clarification": _any(REQUESTS_SUBMIT, audience=Audience.AGENCY),
    "upload_document": _any(REQUESTS_SUBMIT, audience=Audience.AGENCY),
    "download_disclosure": _any(DISCLOSURES_READ, audience=Audience.AGENCY),
    # status webhooks and status e-mails: the agency's own endpoints and switch
    "create_webhook_endpoint": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    "update_webhook_endpoint": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    "delete_webhook_endpoint": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    "rotate_webhook_secret": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    "list_webhook_endpoints": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    "set_status_emails": _any(WEBHOOKS_MANAGE, audience=Audience.AGENCY),
    # reading requests: staff with a reading scope see all, an agency its own
    "read_requests": _READERS,
    "read_document": _any(REVIEW, REQUESTS_READ, REQUESTS_SUBMIT, audience=Audience.CLIENT),
    "read_me": Rule(Audience.CLIENT),
    "list_categories": Rule(Audience.CLIENT),
    "list_reason_codes": Rule(Audience.CLIENT),
    # review
    "start_review": _any(REVIEW),
    "ask_clarification": _any(REVIEW),
    "decide": _any(REVIEW),
    "extend_hold": _any(REVIEW),
    "release": _any(REVIEW),
    # what a release would package now, and what would stop it, without releasing anything
    "preview_release": _any(REVIEW),
    # four eyes: a second person approves a release the first one asked for
    "approve_release": _any(REVIEW),
    # the reviewers' queue and their staff-only notes
    "assign_request": _any(REVIEW),
    "add_internal_note": _any(REVIEW),
    "read_internal_notes": _any(*READ_ALL_REQUESTS, label="review, audit or admin"),
    "close": _any(REVIEW),
    "reclassify": _any(REVIEW),
    "read_findings": _any(*READ_ALL_REQUESTS),
    "read_subjects": _any(*READ_ALL_REQUESTS),
    "override_finding": _any(ADMIN),
    "list_vendors": _any(REVIEW, ADMIN, label="review or admin"),
    "list_plugins": _any(*READ_ALL_REQUESTS, label="review, audit or admin"),
    # notices
    "read_notices": _any(NOTICES, *READ_ALL_REQUESTS, label="notices, review, audit or admin"),
    "record_notice_exception": _any(NOTICES),
    "lift_notice_exception": _any(NOTICES),
    "confirm_notice_exception": _any(NOTICES),
    "notice_exceptions_due": _any(NOTICES),
    # webhook deliveries as operators see them (FAILED ones above all)
    "list_webhook_deliveries": _any(NOTICES, ADMIN, label="notices or admin"),
    # an endpoint at a private, loopback or link-local address (an admin's exception)
    "allow_private_webhook_address": _any(ADMIN),
    # the transparency report
    "read_published_report": Rule(Audience.PUBLIC),
    "read_draft_report": _any(REPORTS),
    "build_report": _any(REPORTS),
    "publish_report": _any(REPORTS),
    # the statement the report carries is an admin's to confirm
    "confirm_report_statement": _any(ADMIN),
    # audit
    "read_audit": _any(AUDIT),
    "verify_audit": _any(AUDIT),
    # administration
    "create_vendor": _any(ADMIN),
    "record_vendor_attestation": _any(ADMIN),
    "create_agency": _any(ADMIN),
    "verify_agency": _any(ADMIN),
    "suspend_agency": _any(ADMIN),
    "list_agencies": _any(ADMIN),
    "create_client": _any(ADMIN),
    "list_clients": _any(ADMIN),
    "revoke_client": _any(ADMIN),
    "rotate_client_secret": _any(ADMIN),
    "import_history": _any(ADMIN),
    # staff: people, their roles and their sign-in
    "create_staff": _any(ADMIN),
    "list_staff": _any(ADMIN),
    "update_staff": _any(ADMIN),
    "disable_staff": _any(ADMIN),
    "enable_staff": _any(ADMIN),
    "reset_staff_sign_in": _any(ADMIN),
    # the operator's system jobs
    "run_notice_worker": _any(NOTICES),
    "retry_webhook_delivery": _any(NOTICES),
    "purge_documents": _any(ADMIN),
}


def rule(use_case: str) -> Rule:
    try:
        return RULES[use_case]
    except KeyError:
        raise LookupError(f"no access rule for the use case {use_case!r}") from None


def describe(use_case: str) -> str:
    """What the schema says a field needs, from the same rule the service applies."""
    return rule(use_case).describe()


def require_authenticated(principal: Principal) -> None:
    if not principal.authenticated:
        raise NotAuthenticated()


def authorize(principal: Principal, use_case: str) -> Principal:
    """Refuse the call unless the principal may make it; the one access check of a use case."""
    r = rule(use_case)
    if r.audience is Audience.PUBLIC:
        return principal
    require_authenticated(principal)
    if r.scopes and not principal.has_any(r.scopes):
        raise AccessDenied(r.needed)
    if r.audience is Audience.AGENCY and principal.agency_id is None:
        raise AccessDenied(r.needed)  # only an agency's client acts for an agency
    return principal


def request_scope(principal: Principal) -> uuid.UUID | None:
    """The agency whose requests the principal may read (None: all), or AccessDenied."""
    require_authenticated(principal)
    if principal.is_staff:
        if principal.has_any(READ_ALL_REQUESTS):
            return None
        raise AccessDenied(" or ".join(sorted(READ_ALL_REQUESTS)))
    if principal.agency_id is None or not principal.has(REQUESTS_READ):
        raise AccessDenied(REQUESTS_READ)
    return principal.agency_id


#: how an operator principal's ``client_id`` begins (no OAuth client's id does)
OPERATOR_PREFIX = "operator:"


def operator(name: str, scopes: frozenset[str] | None = None) -> Principal:
    """The person at the command line: staff, with the scopes the command needs (all staff
    scopes unless narrowed), named in the audit as the operator."""
    return Principal(
        PrincipalKind.STAFF,
        client_id=f"{OPERATOR_PREFIX}{name}",
        scopes=frozenset(STAFF_SCOPES) if scopes is None else scopes,
    )
