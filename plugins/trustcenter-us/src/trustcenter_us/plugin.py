"""The Stored Communications Act's tiers of compelled disclosure (18 U.S.C. chapter 121).

- A subpoena compels only basic subscriber information (§ 2703(c)(2)): here the account (A) and
  the login times and IP addresses of the usage logs (C).
- A court order under § 2703(d) compels non-content records (A to D), not content.
- A warrant compels everything (§ 2703(a), (b)(1)(A), (c)(1)(A)).
- In an emergency involving danger of death or serious physical injury the company may
  disclose voluntarily (§ 2702(b)(8) for content, § 2702(c)(4) for records).
- An order of a foreign government under an executive agreement (§ 2523) may be answered:
  § 2702(b)(9) and (c)(7) lift the bar on disclosing to it. From abroad the plugin accepts that
  and mutual legal assistance (executed with U.S. process, 18 U.S.C. § 3512), nothing else.
- A § 2705(b) order precludes notice to the user until its end date.

Customer-service messages and feedback (E) are treated as content; the other types are records.
"""

from __future__ import annotations

from trustcenter.plugins import Finding, FindingCodeSpec, RequestView, Severity, hookimpl

SCA = "18 U.S.C."
SUBSCRIBER = frozenset({"A", "C"})  # C only as login times and IP addresses
CONTENT = frozenset({"E"})
LOGIN_FIELDS = "occurred_at, kind, ip_address"
#: an order of a foreign government with which the United States has an agreement in force
EXECUTIVE_AGREEMENT = "executive_agreement"


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return ["US"]


@hookimpl
def trustcenter_legal_basis_kinds() -> list[str]:
    return [EXECUTIVE_AGREEMENT]


@hookimpl
def trustcenter_finding_codes() -> list[FindingCodeSpec]:
    return [
        FindingCodeSpec(
            "US_SUBPOENA_BEYOND_SUBSCRIBER_INFO",
            Severity.BLOCK,
            "A subpoena asks for more than basic subscriber information (A, and of C the login "
            "times and addresses): the rest needs a § 2703(d) order or a warrant (§ 2703(c)(2)).",
        ),
        FindingCodeSpec(
            "US_SUBPOENA_LOGIN_IPS_ONLY",
            Severity.WARNING,
            "A subpoena reaches only the session times and network addresses of the usage logs: "
            f"narrow C to the fields {LOGIN_FIELDS} (§ 2703(c)(2)(C), (E)).",
        ),
        FindingCodeSpec(
            "US_CONTENT_NEEDS_WARRANT",
            Severity.BLOCK,
            "A § 2703(d) order asks for content (E), which only a warrant compels "
            "(§ 2703(b)(1)(A)).",
        ),
        FindingCodeSpec(
            "US_EXECUTIVE_AGREEMENT",
            Severity.INFO,
            "An order of a foreign government under an executive agreement: check that an "
            "agreement with it is in force and that the order targets no United States person "
            "(§ 2523; § 2702(b)(9), (c)(7)).",
        ),
        FindingCodeSpec(
            "US_EMERGENCY_NOT_DECLARED",
            Severity.BLOCK,
            "An emergency declaration for a request not marked as an emergency: voluntary "
            "disclosure needs a good-faith belief of danger of death or serious injury "
            "(§ 2702(b)(8), (c)(4)).",
        ),
        FindingCodeSpec(
            "US_EMERGENCY_VOLUNTARY",
            Severity.INFO,
            "A voluntary emergency disclosure: permitted only while the company believes in good "
            "faith that an emergency involving danger of death or serious physical injury "
            "requires it (§ 2702(b)(8), (c)(4)).",
        ),
        FindingCodeSpec(
            "US_NOT_COMPULSORY_PROCESS",
            Severity.BLOCK,
            "The legal basis is no subpoena, § 2703(d) order or warrant: it compels nothing "
            "under the Stored Communications Act (§ 2703).",
        ),
        FindingCodeSpec(
            "US_2705B_ORDER",
            Severity.INFO,
            "A § 2705(b) order precludes notice to the user until its end date; the user notice "
            "waits until then (§ 2705(b)).",
        ),
    ]


@hookimpl
def trustcenter_accepts_from_abroad(request: RequestView) -> bool:
    """From abroad: mutual legal assistance (executed with U.S. process, 18 U.S.C. § 3512) and
    an order under an executive agreement (18 U.S.C. § 2523); nothing else."""
    return request.legal_basis.kind in {"mutual_legal_assistance", EXECUTIVE_AGREEMENT}


def _executive_agreement_findings(request: RequestView) -> list[Finding]:
    return [
        Finding(
            Severity.INFO,
            "US_EXECUTIVE_AGREEMENT",
            f"an order of {request.agency_country} under an executive agreement: the Stored "
            "Communications Act does not bar disclosure to that government, but compels none; "
            "check that an agreement with it is in force and that the order does not target a "
            "United States person or a person in the United States",
            f"{SCA} § 2523; § 2702(b)(9), (c)(7)",
        )
    ]


def _tier_findings(request: RequestView) -> list[Finding]:
    kind = request.legal_basis.kind
    asked = request.info_types
    if kind == "warrant":
        return []
    if kind == "subpoena":
        beyond = sorted(asked - SUBSCRIBER)
        findings = []
        if beyond:
            findings.append(
                Finding(
                    Severity.BLOCK,
                    "US_SUBPOENA_BEYOND_SUBSCRIBER_INFO",
                    f"a subpoena compels only basic subscriber information; {', '.join(beyond)} "
                    "needs a § 2703(d) order or a warrant",
                    f"{SCA} § 2703(c)(2)",
                )
            )
        if "C" in asked:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "US_SUBPOENA_LOGIN_IPS_ONLY",
                    "of the usage logs a subpoena reaches only session times and network "
                    f"addresses: NARROW C to the fields {LOGIN_FIELDS}",
                    f"{SCA} § 2703(c)(2)(C), (E)",
                )
            )
        return findings
    if kind == "court_order":
        content = sorted(asked & CONTENT)
        if content:
            return [
                Finding(
                    Severity.BLOCK,
                    "US_CONTENT_NEEDS_WARRANT",
                    f"a § 2703(d) order reaches non-content records only; {', '.join(content)} is "
                    "content and needs a warrant",
                    f"{SCA} § 2703(b)(1)(A)",
                )
            ]
        return []
    if kind == EXECUTIVE_AGREEMENT:
        return _executive_agreement_findings(request)
    if kind == "emergency_declaration":
        if not request.emergency:
            return [
                Finding(
                    Severity.BLOCK,
                    "US_EMERGENCY_NOT_DECLARED",
                    "an emergency declaration for a request not marked as an emergency: voluntary "
                    "disclosure needs a good-faith belief of danger of death or serious injury",
                    f"{SCA} § 2702(b)(8), (c)(4)",
                )
            ]
        return [
            Finding(
                Severity.INFO,
                "US_EMERGENCY_VOLUNTARY",
                "voluntary emergency disclosure: permitted only while the company believes in good "
                "faith that an emergency involving danger of death or serious physical injury "
                "requires it without delay",
                f"{SCA} § 2702(b)(8), (c)(4)",
            )
        ]
    return [
        Finding(
            Severity.BLOCK,
            "US_NOT_COMPULSORY_PROCESS",
            f"a {kind.replace('_', ' ')} is not subpoena, § 2703(d) order or warrant: it compels "
            "nothing under the Stored Communications Act",
            f"{SCA} § 2703",
        )
    ]


def _notice_findings(request: RequestView) -> list[Finding]:
    until = request.legal_basis.non_disclosure_until
    if until is None:
        return []
    return [
        Finding(
            Severity.INFO,
            "US_2705B_ORDER",
            f"a § 2705(b) order precludes notice to the user until {until:%Y-%m-%d}; the user "
            "notice waits until then",
            f"{SCA} § 2705(b)",
        )
    ]


@hookimpl
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    return _tier_findings(request) + _notice_findings(request)
