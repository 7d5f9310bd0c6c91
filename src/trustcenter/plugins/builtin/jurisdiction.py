"""Default jurisdiction rules: for every jurisdiction no plugin claims."""

from __future__ import annotations

from datetime import datetime, timedelta

from trustcenter.domain.rules import default_deadline
from trustcenter.plugins import Finding, RequestView, Severity, hookimpl

NOTICE_DELAY = timedelta(days=31)


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return ["*"]


@hookimpl
def trustcenter_response_deadline(request: RequestView) -> datetime:
    return default_deadline(request.received_at, request.emergency)


@hookimpl
def trustcenter_notice_delay(request: RequestView) -> timedelta:
    return NOTICE_DELAY


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


@hookimpl
def trustcenter_report_exclusions() -> list[str]:
    return ["CN"]
