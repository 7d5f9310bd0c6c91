"""Which jurisdictions an agency may submit requests for.

An agency may submit for its own country and that country's ISO 3166-2 subdivisions, plus the
codes granted when it was verified (a federal agency, a European body); a granted country covers
its subdivisions too. A request for any other jurisdiction is cross-border: the requested
jurisdiction's rules decide whether its legal-basis kind is accepted from abroad.
"""

from __future__ import annotations

from collections.abc import Iterable

from trustcenter.domain.errors import ErrorCode, Problem
from trustcenter.domain.submission import region_code, valid_region_code

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
