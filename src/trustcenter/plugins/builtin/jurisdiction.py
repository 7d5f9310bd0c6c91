"""Default jurisdiction rules: for every jurisdiction no plugin claims."""

from __future__ import annotations

from datetime import datetime, timedelta

from trustcenter.domain.notice_policy import NOTICE_DELAY
from trustcenter.domain.rules import default_deadline
from trustcenter.plugins import Finding, FindingCodeSpec, RequestView, Severity, hookimpl


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return ["*"]


#: legal-basis kinds every jurisdiction accepts from an agency abroad unless its plugin says
#: otherwise: only a request passed on by the requested state's own authorities
ACCEPTED_FROM_ABROAD = frozenset({"mutual_legal_assistance"})


@hookimpl
def trustcenter_accepts_from_abroad(request: RequestView) -> bool:
    return request.legal_basis.kind in ACCEPTED_FROM_ABROAD


#: the legal-basis kinds a request may be approved on without its document
APPROVABLE_WITHOUT_DOCUMENT = frozenset({"emergency_declaration"})
#: how soon the formal legal process should follow an emergency disclosure
FORMAL_PROCESS_WITHIN = timedelta(hours=48)


@hookimpl
def trustcenter_document_required(request: RequestView) -> bool:
    return request.legal_basis.kind not in APPROVABLE_WITHOUT_DOCUMENT


@hookimpl
def trustcenter_response_deadline(request: RequestView) -> datetime:
    return default_deadline(request.received_at, request.emergency)


@hookimpl
def trustcenter_notice_delay(request: RequestView) -> timedelta:
    return NOTICE_DELAY


@hookimpl
def trustcenter_finding_codes() -> list[FindingCodeSpec]:
    return [
        FindingCodeSpec(
            "LEGAL_BASIS_EXPIRED",
            Severity.BLOCK,
            "The legal basis had expired when the request arrived: nothing is released on it "
            "unless an admin overrides the finding with a justification.",
        ),
        FindingCodeSpec(
            "EMERGENCY_FORMAL_PROCESS_DUE",
            Severity.WARNING,
            "An emergency disclosure rests on a declaration alone: ask the agency for the "
            "formal legal process (a court order or warrant) within 48 hours of receipt and "
            "note when it arrives.",
        ),
        FindingCodeSpec(
            "EMERGENCY_WITHOUT_DECLARATION",
            Severity.INFO,
            "The request is marked as an emergency but rests on another legal basis than an "
            "emergency declaration: check the description of the emergency.",
        ),
    ]


@hookimpl
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    findings = []
    basis = request.legal_basis
    if basis.expires_at is not None and basis.expires_at < request.received_at.date():
        findings.append(
            Finding(
                Severity.BLOCK,
                "LEGAL_BASIS_EXPIRED",
                "the legal basis had expired when the request arrived",
                "Company guideline: valid legal basis",
            )
        )
    if basis.kind == "emergency_declaration":
        # an emergency disclosure rests on the declaration; the formal process must follow
        due = request.received_at + FORMAL_PROCESS_WITHIN
        findings.append(
            Finding(
                Severity.WARNING,
                "EMERGENCY_FORMAL_PROCESS_DUE",
                "an emergency disclosure on a declaration alone: ask the agency for the formal "
                f"legal process (a court order or warrant) by {due:%Y-%m-%d %H:%M} UTC "
                "(48 hours) and note when it arrives",
                "Company guideline: emergencies",
            )
        )
    if request.emergency and basis.kind != "emergency_declaration":
        findings.append(
            Finding(
                Severity.INFO,
                "EMERGENCY_WITHOUT_DECLARATION",
                "an emergency request without an emergency declaration: check "
                "the description of the emergency",
                "Company guideline: emergencies",
            )
        )
    return findings
