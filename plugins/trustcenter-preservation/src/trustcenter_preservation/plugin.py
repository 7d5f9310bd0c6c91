"""PRESERVATION: an authority asks the company to keep data while it obtains a production
order — 90 days, extendable once by 90 (18 U.S.C. § 2703(f)(2); Regulation (EU) 2023/1543
Art. 11(1) keeps 60 days; Budapest Convention Art. 16(2) up to 90 days). Nothing is disclosed
under a preservation request: disclosure needs a later production request. Preservation
requests are counted under their own category in the transparency report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trustcenter.plugins import CategorySpec, HoldDecision, Problem, RequestView, hookimpl

CODE = "PRESERVATION"
PRESERVATION_DAYS = 90
EXTENSION_DAYS = 90
SOURCES = (
    "18 U.S.C. § 2703(f); Regulation (EU) 2023/1543, Art. 6 and 11; Budapest Convention, Art. 16"
)


@hookimpl
def trustcenter_categories() -> list[CategorySpec]:
    return [
        CategorySpec(
            CODE,
            "Preservation requests",
            f"keep the named data for {PRESERVATION_DAYS} days (once extendable by "
            f"{EXTENSION_DAYS}); disclose nothing without a later production request",
        )
    ]


@hookimpl
def trustcenter_legal_basis_kinds() -> list[str]:
    return ["preservation_order"]


@hookimpl
def trustcenter_validate_request(request: RequestView) -> list[Problem]:
    if request.category != CODE:
        return []
    problems = []
    if request.legal_basis.kind != "preservation_order":
        problems.append(
            Problem("legalBasis.kind", "a preservation request needs a PRESERVATION_ORDER")
        )
    if request.emergency:
        problems.append(
            Problem(
                "emergency",
                "preservation is not an emergency disclosure; send an emergency request instead",
            )
        )
    return problems


@hookimpl
def trustcenter_release_check(request: RequestView) -> str | None:
    if request.category == CODE:
        return (
            "a preservation request discloses nothing: the data is kept, and disclosure "
            f"needs a later production request ({SOURCES})"
        )
    return None


@hookimpl
def trustcenter_hold_until(request: RequestView) -> datetime | None:
    if request.category != CODE:
        return None
    return request.received_at + timedelta(days=PRESERVATION_DAYS)


@hookimpl
def trustcenter_extend_hold(
    request: RequestView, hold_until: datetime, extensions: int
) -> HoldDecision | None:
    if request.category != CODE:
        return None
    if extensions >= 1:
        return HoldDecision(
            refused=f"a preservation can be extended once, by "
            f"{EXTENSION_DAYS} days; it already was ({SOURCES})"
        )
    return HoldDecision(until=hold_until + timedelta(days=EXTENSION_DAYS))
