"""Regulation (EU) 2023/1543 on European Production Orders (the e-Evidence Regulation).

- Art. 10(1), 10(4): data is to be produced within 10 days of receiving the order, and within
  8 hours in emergencies.
- Art. 4(1): subscriber data and data requested only to identify the user may be ordered by a
  judge, a court, an investigating judge or a public prosecutor (or another competent authority
  whose order one of them validated).
- Art. 4(2): traffic data and content data need a judge, a court or an investigating judge (or
  validation by one of them).
- Art. 1(1), Art. 7: an order goes from an authority of one member state to a provider in
  another; from abroad the plugin accepts such an order between member states (and mutual legal
  assistance), nothing else.
- Art. 4(5): in a validly established emergency an order may be issued without prior
  validation; validation must be sought within 48 hours.

How the company's information types map to the Regulation's data categories (Art. 3(9) to 3(12)):
A (account) and B (product bound to the account) and D (billing and payment data) are
subscriber data; C (logs: login IPs, device online/offline records) is traffic data, except
login IP addresses requested only to identify the user; E (customer-service messages and
feedback) is content data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trustcenter.plugins import Finding, FindingCodeSpec, RequestView, Severity, hookimpl

REGULATION = "Regulation (EU) 2023/1543"

#: Member states bound by the Regulation (Denmark does not take part in it).
MEMBER_STATES = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]

SUBSCRIBER = frozenset({"A", "B", "D"})
TRAFFIC = frozenset({"C"})
CONTENT = frozenset({"E"})
JUDICIAL = frozenset({"judge", "court"})

PRODUCTION_TIME = timedelta(days=10)
EMERGENCY_TIME = timedelta(hours=8)
VALIDATION_TIME = timedelta(hours=48)


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return list(MEMBER_STATES)


@hookimpl
def trustcenter_finding_codes() -> list[FindingCodeSpec]:
    return [
        FindingCodeSpec(
            "EU_JUDGE_REQUIRED",
            Severity.BLOCK,
            "A public prosecutor ordered traffic or content data (C, E) without validation by a "
            "judge or court (Art. 4(2)).",
        ),
        FindingCodeSpec(
            "EU_EMERGENCY_VALIDATION_DUE",
            Severity.WARNING,
            "An emergency order issued without prior validation: it must be validated within "
            "48 hours; follow up with the issuing authority (Art. 4(5)).",
        ),
        FindingCodeSpec(
            "EU_ISSUER_NOT_COMPETENT",
            Severity.BLOCK,
            "The order was not issued or validated by an authority competent for the data it "
            "asks for: a judge, court or public prosecutor for subscriber data, a judge or court "
            "for traffic and content data (Art. 4(1), 4(2)).",
        ),
        FindingCodeSpec(
            "EU_NOT_AN_EPOC",
            Severity.INFO,
            "The legal basis is not a European Production or Preservation Order: check that "
            "national law or mutual legal assistance applies instead (Art. 1).",
        ),
    ]


@hookimpl
def trustcenter_accepts_from_abroad(request: RequestView) -> bool:
    """A European Production Order travels between member states (Art. 1(1), Art. 7): from an
    authority of one member state to a provider's establishment in another. Mutual legal
    assistance is accepted as everywhere; nothing else is accepted from abroad."""
    kind = request.legal_basis.kind
    if kind == "mutual_legal_assistance":
        return True
    between_member_states = (
        request.agency_country.upper()[:2] in MEMBER_STATES
        and request.jurisdiction.upper()[:2] in MEMBER_STATES
    )
    return kind == "production_order" and between_member_states


@hookimpl
def trustcenter_response_deadline(request: RequestView) -> datetime:
    return request.received_at + (EMERGENCY_TIME if request.emergency else PRODUCTION_TIME)


def _issuer_findings(request: RequestView) -> list[Finding]:
    role = request.legal_basis.issuer_role
    asked = request.info_types
    sensitive = sorted(asked & (TRAFFIC | CONTENT))
    if role in JUDICIAL:
        return []
    if role == "prosecutor":
        if not sensitive:
            return []
        return [
            Finding(
                Severity.BLOCK,
                "EU_JUDGE_REQUIRED",
                "a public prosecutor may not order traffic or content data "
                f"({', '.join(sensitive)}) without validation by a judge or court",
                f"{REGULATION}, Art. 4(2)",
            )
        ]
    if request.emergency:
        due = request.received_at + VALIDATION_TIME
        return [
            Finding(
                Severity.WARNING,
                "EU_EMERGENCY_VALIDATION_DUE",
                f"an emergency order issued without prior validation must be validated by "
                f"{due:%Y-%m-%d %H:%M} UTC (48 hours); follow up with the issuing authority",
                f"{REGULATION}, Art. 4(5)",
            )
        ]
    needed = "a judge or court" if sensitive else "a judge, court or public prosecutor"
    return [
        Finding(
            Severity.BLOCK,
            "EU_ISSUER_NOT_COMPETENT",
            f"the order was not issued or validated by {needed} (issuer: {role or 'not stated'})",
            f"{REGULATION}, Art. 4({'2' if sensitive else '1'})",
        )
    ]


@hookimpl
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    findings = _issuer_findings(request)
    if request.legal_basis.kind not in {
        "production_order",
        "preservation_order",
        "emergency_declaration",
    }:
        findings.append(
            Finding(
                Severity.INFO,
                "EU_NOT_AN_EPOC",
                "the legal basis is not a European Production or Preservation Order; check that "
                "national law or mutual legal assistance applies instead",
                f"{REGULATION}, Art. 1",
            )
        )
    return findings
