"""Which jurisdictions an agency may submit requests for.

An agency may submit for its own country and that country's ISO 3166-2 subdivisions, plus the
codes granted when it was verified (a federal agency, a European body); a granted country covers
its subdivisions too. A request for any other jurisdiction is cross-border: the requested
jurisdiction's rules decide whether its legal-basis kind is accepted from abroad.

Registering an agency (its name, country, subdivision and contact address) and verifying it
(the grants, who verified it and the evidence for grants beyond its country) are checked here
too: nothing is stored when any of it is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trustcenter.domain.enums import IdentifierType, VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.submission import (
    MAX_NAME,
    MAX_TEXT,
    normalise_identifier,
    region_code,
    valid_region_code,
)

MAX_GRANTS = 100


def country_of(code: str) -> str:
    """The ISO 3166-1 alpha-2 part of a country or subdivision code (``DE-BE`` -> ``DE``)."""
    return code.strip().upper()[:2]


def _covers(grant: str, jurisdiction: str) -> bool:
    """A country covers itself and its subdivisions; a subdivision covers only itself."""
    if len(grant) == 2:
        return jurisdiction == grant or jurisdiction.startswith(f"{grant}-")
    return jurisdiction == grant


def within_grant(jurisdiction: str, country: str, granted: Iterable[str]) -> bool:
    """True when an agency of ``country`` holding ``granted`` may submit for ``jurisdiction``
    on its own authority (no cross-border rule needed)."""
    code = jurisdiction.strip().upper()
    return any(_covers(g.strip().upper(), code) for g in (country, *granted) if g.strip())


def beyond_own_country(country: str, granted: Iterable[str]) -> list[str]:
    """The granted codes that reach outside the agency's own country."""
    own = country.strip().upper()
    return [g for g in granted if country_of(g) != own]


def parse_grants(
    raw: Iterable[str], field: str = "jurisdictions"
) -> tuple[list[str], list[Problem]]:
    """Normalise granted codes (upper case, unique, in the order given) and refuse what is not
    an ISO 3166-1 country or ISO 3166-2 subdivision code."""
    codes: list[str] = []
    problems: list[Problem] = []
    for part in raw:
        for piece in part.replace(",", " ").split():
            code = region_code(piece)
            if not valid_region_code(code):
                shown = piece if len(piece) <= 20 else f"{piece[:20]}…"
                problems.append(
                    Problem(
                        field,
                        f"{shown!r} is not an ISO 3166 country or subdivision code "
                        "(such as DE or DE-BE)",
                        ErrorCode.INVALID_JURISDICTION,
                    )
                )
            elif code not in codes:
                codes.append(code)
    if len(codes) > MAX_GRANTS:
        problems.append(
            Problem(field, f"at most {MAX_GRANTS} jurisdictions", ErrorCode.INVALID_JURISDICTION)
        )
    return codes, problems


def stored_grants(text: str | None) -> list[str]:
    """Granted codes as the agency row keeps them (separated by spaces)."""
    return (text or "").split()


def cross_border_refusal(jurisdiction: str, country: str, kind: str) -> Problem:
    """Why a cross-border request is refused: the agency's grant does not cover the requested
    jurisdiction, and that jurisdiction's rules do not accept this kind of legal basis from
    abroad."""
    return Problem(
        "jurisdiction",
        f"{jurisdiction} is outside the jurisdictions this agency is verified for "
        f"({country} and its subdivisions, and any granted at verification); the rules for "
        f"{jurisdiction} do not accept a {kind.upper()} from abroad — send it through mutual "
        "legal assistance, or ask the company to extend the agency's verification",
        ErrorCode.JURISDICTION,
    )


# --- registering and verifying an agency ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyDetails:
    """A new agency's details, normalised."""

    name: str
    country: str
    region: str | None
    contact_email: str | None


def checked_agency(
    name: str, country: str, region: str | None, contact_email: str | None
) -> AgencyDetails:
    """The details of an agency to register, normalised; every problem at once otherwise."""
    problems: list[Problem] = []
    country = region_code(country)
    if not name.strip():
        problems.append(Problem("name", "is required", ErrorCode.INVALID_INPUT))
    elif len(name.strip()) > MAX_NAME:
        problems.append(
            Problem("name", f"is longer than {MAX_NAME} characters", ErrorCode.INVALID_INPUT)
        )
    if len(country) != 2 or not valid_region_code(country):
        problems.append(
            Problem("country", "is not an ISO 3166-1 alpha-2 code", ErrorCode.INVALID_JURISDICTION)
        )
    if region is not None:
        region = region_code(region)
        if not region.startswith(f"{country}-") or not valid_region_code(region):
            problems.append(
                Problem(
                    "region",
                    f"is not an ISO 3166-2 subdivision of {country}",
                    ErrorCode.INVALID_JURISDICTION,
                )
            )
    email = None
    if contact_email:
        email = normalise_identifier(IdentifierType.EMAIL, contact_email)
        if email is None:
            problems.append(
                Problem("contactEmail", "is not an e-mail address", ErrorCode.INVALID_INPUT)
            )
    if problems:
        raise DomainError(problems)
    return AgencyDetails(name.strip(), country, region, email)


@dataclass(frozen=True, slots=True)
class VerificationChange:
    """A change of an agency's verification, checked: the state it moves to, the codes granted
    (None: earlier grants stay), who verified it and the evidence (None: not given)."""

    state: VerificationState
    grants: list[str] | None
    verified_by: str | None
    evidence: str | None


def checked_verification(
    state: VerificationState,
    jurisdictions: Sequence[str] | None,
    verified_by: str | None,
    evidence: str | None,
) -> VerificationChange:
    """The change asked for, normalised; every problem at once otherwise."""
    problems: list[Problem] = []
    codes: list[str] | None = None
    if jurisdictions is not None:
        if state is not VerificationState.VERIFIED:
            problems.append(
                Problem(
                    "jurisdictions",
                    "jurisdictions are granted when verifying an agency",
                    ErrorCode.INVALID_INPUT,
                )
            )
        codes, invalid = parse_grants(jurisdictions)
        problems += invalid
    person = (verified_by or "").strip() or None
    if person is not None and len(person) > MAX_NAME:
        problems.append(
            Problem("verifiedBy", f"is longer than {MAX_NAME} characters", ErrorCode.INVALID_INPUT)
        )
    note = (evidence or "").strip() or None
    if note is not None and len(note) > MAX_TEXT:
        problems.append(
            Problem("evidence", f"is longer than {MAX_TEXT} characters", ErrorCode.INVALID_INPUT)
        )
    if problems:
        raise DomainError(problems)
    return VerificationChange(state, codes, person, note)


def require_evidence(country: str, change: VerificationChange) -> None:
    """Granting codes beyond the agency's own ``country`` needs the evidence that justifies it."""
    abroad = beyond_own_country(country, change.grants or [])
    if change.grants is not None and abroad and change.evidence is None:
        raise DomainError.single(
            "evidence",
            f"granting {', '.join(abroad)} reaches beyond {country}: state the "
            "evidence (the law or agreement that gives the agency that competence)",
            ErrorCode.INVALID_INPUT,
        )
