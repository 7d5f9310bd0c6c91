"""The transparency report's floors, which no configuration or plugin moves:

- the Chinese Mainland (CN) is always left out of the report, and every further exclusion
  carries a written reason that the published report prints beside it (an exclusion without
  one stops the build, naming where it came from);
- a year is published only after it has ended (UTC) and with the statement confirmed for it:
  confirmed after the year ended, and carried by the draft being published."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from trustcenter.domain.errors import DomainError, ErrorCode, Problem

#: always excluded, whatever the configuration and the plugins say
ALWAYS_EXCLUDED = "CN"
ALWAYS_EXCLUDED_REASON = (
    "Requests from the Chinese Mainland are never included in this report (company policy)."
)
#: where the configured exclusions come from, as messages name it
CONFIGURATION = "configuration (TRUSTCENTER_REPORT_EXCLUSIONS)"
POLICY = "policy"
MAX_REASON = 500
_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A country or region left out of the report, and why (printed in the report).

    ``source`` says where it came from (the host fills it in for plugins)."""

    country: str
    reason: str = ""
    source: str = ""


def configuration_refusal(text: str) -> str | None:
    """Why ``TRUSTCENTER_REPORT_EXCLUSIONS`` cannot be applied (what the build would refuse),
    or None: checked when the configuration is read, so a bad value stops start-up."""
    try:
        settle_exclusions(parse_configured(text))
    except DomainError as error:
        return "; ".join(p.message for p in error.problems)
    return None


def parse_configured(text: str) -> list[Exclusion]:
    """``TRUSTCENTER_REPORT_EXCLUSIONS``: entries ``CODE:reason`` separated by ``;`` (an entry
    without a reason is kept as one without, and refused when the report is built; ``CN``
    alone is the policy's own exclusion and needs none)."""
    out = []
    for entry in text.split(";"):
        if not entry.strip():
            continue
        code, _, reason = entry.partition(":")
        out.append(Exclusion(code.strip().upper(), " ".join(reason.split()), CONFIGURATION))
    return out


def settle_exclusions(given: Iterable[Exclusion | str]) -> list[Exclusion]:
    """The exclusions a report applies: the policy's CN first-class, then every other one with
    its reason (the reasons for one country from several places joined). A bare code, an empty
    or overlong reason or a code that is not two letters is refused, naming its source."""
    reasons: dict[str, list[str]] = {ALWAYS_EXCLUDED: [ALWAYS_EXCLUDED_REASON]}
    problems = []
    for item in given:
        found = Exclusion(item.upper(), "", "") if isinstance(item, str) else item
        code, reason = found.country.strip().upper(), " ".join(found.reason.split())
        where = found.source or "the caller"
        if not _CODE.fullmatch(code):
            hint = " (write each entry as CODE:reason, entries separated by ';')"
            problems.append(
                f"{where}: {found.country.strip()!r} is not a two-letter country code"
                + (hint if found.source == CONFIGURATION else "")
            )
        elif code == ALWAYS_EXCLUDED:
            continue  # always excluded, for the policy's reason
        elif not reason:
            problems.append(
                f"{where} excludes {code} without a reason; every exclusion but {ALWAYS_EXCLUDED} "
                "needs a written reason, which the published report prints beside it"
            )
        elif len(reason) > MAX_REASON:
            problems.append(f"{where}: the reason for excluding {code} is over {MAX_REASON} chars")
        elif reason not in reasons.setdefault(code, []):
            reasons[code].append(reason)
    if problems:
        raise DomainError(
            [Problem("exclusions", text, ErrorCode.EXCLUSION_WITHOUT_REASON) for text in problems]
        )
    return [Exclusion(code, " ".join(reasons[code]), "") for code in sorted(reasons)]


def year_end(year: int) -> datetime:
    """The moment ``year`` ends: 1 January of the next year, 00:00 UTC."""
    return datetime(year + 1, 1, 1, tzinfo=UTC)


def publishing_refusals(
    year: int, now: datetime, statement_confirmed_at: datetime | None
) -> list[Problem]:
    """What stops ``year``'s draft from being published (empty: nothing): the year must have
    ended and the draft must carry the statement as confirmed after it ended."""
    end = year_end(year)
    problems = []
    if now < end:
        problems.append(
            Problem(
                "year",
                f"{year} has not ended yet: its report can be published from "
                f"{end:%Y-%m-%d} 00:00 UTC (a draft can be built at any time)",
                ErrorCode.YEAR_NOT_ENDED,
            )
        )
    if statement_confirmed_at is None or statement_confirmed_at < end:
        problems.append(
            Problem(
                "statement",
                f"the statement for {year} is not confirmed: an admin confirms it after the year "
                f"has ended (confirmTransparencyStatement, or trustcenter report "
                f"confirm-statement), then the report is built again",
                ErrorCode.STATEMENT_NOT_CONFIRMED,
            )
        )
    return problems


def no_draft_refusals(year: int, now: datetime) -> list[Problem]:
    """Why ``year`` cannot be published when no draft of it was built: the year's own refusal
    (not ended yet), if any, then the missing draft."""
    missing = [p for p in publishing_refusals(year, now, now) if p.field == "year"]
    return [*missing, Problem("year", f"no draft for {year}: build it first", ErrorCode.NOT_FOUND)]


def correction_changelog(
    changelog: str | None, previous_version: int | None, unchanged: bool
) -> str | None:
    """The changelog a version is published with (None: none given). A correction — a version
    after ``previous_version`` — needs one, and is refused when ``unchanged`` (the same figures
    and statement as the previous version)."""
    note = (changelog or "").strip() or None
    if previous_version is None:
        return note
    if unchanged:
        raise DomainError.single(
            "year", f"version {previous_version} already has these figures", ErrorCode.CONFLICT
        )
    if note is None:
        raise DomainError.single(
            "changelog",
            "a correction needs a changelog saying what changed",
            ErrorCode.INVALID_INPUT,
        )
    return note
