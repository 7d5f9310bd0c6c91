"""What the host accepts from the jurisdiction hooks it calls.

A plugin's answer is data the product stores and acts on, so it is checked before anything is
applied. Each check returns the answer in the form the product uses, or raises ``ValueError``
saying what is wrong; the host turns that into a ``PluginFailure`` naming the plugin and the
hook, and the use case's transaction rolls back: a nonsensical answer is never applied.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from trustcenter.domain.four_eyes import APPROVERS
from trustcenter.domain.notice_policy import notice_delay_refusal
from trustcenter.domain.report_policy import Exclusion
from trustcenter.domain.rules import BUILTIN_CATEGORIES
from trustcenter.plugins.api import Finding, FindingCodeSpec, RequestView, Severity
from trustcenter.plugins.builtin.categories import policy_category

#: ``request_findings.code`` holds at most this many characters
MAX_FINDING_CODE = 64
#: a code a plugin declares (a reason code, a finding code): upper case, at most 64 characters
DECLARED_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")


def _shown(value: object) -> str:
    return f"{type(value).__name__} {repr(value)[:80]}"


def response_deadline(due: object, received_at: datetime) -> datetime:
    """A timezone-aware datetime after the request's receipt."""
    if not isinstance(due, datetime):
        raise ValueError(f"answered {_shown(due)}, not a datetime")
    if due.tzinfo is None or due.utcoffset() is None:
        raise ValueError(f"answered {due.isoformat()}, a datetime without a time zone")
    if due <= received_at:
        raise ValueError(
            f"answered {due.isoformat()}, which is not after the request's receipt "
            f"({received_at.isoformat()})"
        )
    return due


def notice_delay(delay: object) -> timedelta:
    """A timedelta no shorter than the guideline's delay (the domain's rule)."""
    refusal = notice_delay_refusal(delay)
    if refusal is not None:
        raise ValueError(refusal)
    assert isinstance(delay, timedelta)
    return delay


def category(answer: object, registered: Collection[str], request: RequestView) -> str:
    """A registered category code, upper case. A plugin classifies into its own categories:
    one of the policy's own (PRODUCT, ACCOUNT, TRANSACTION, EMERGENCY) only where the policy's
    precedence gives the same, never to move a request out of the category it belongs to."""
    code = str(answer).upper()
    if code not in registered:
        raise ValueError(f"{code} is not a registered category")
    if code in BUILTIN_CATEGORIES:
        policy = policy_category(request)
        if code != policy:
            raise ValueError(
                f"answered {code}, but the policy classifies this request as {policy}; a plugin "
                "classifies only into its own categories"
            )
    return code


def _text(value: object, what: str, index: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError(f"finding {index}: {what} is {_shown(value)}, not text")
    if required and not value.strip():
        raise ValueError(f"finding {index}: {what} is empty")
    if "\x00" in value:
        raise ValueError(f"finding {index}: {what} contains a NUL character")
    return value


def _severity(value: object) -> Severity:
    """``value`` as a ``Severity`` (the member or its value, ``"warning"``), else ValueError."""
    try:
        return Severity(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise ValueError(
            f"severity {repr(value)[:40]} is not one of {', '.join(s.value for s in Severity)}"
        ) from None


def finding_codes(declared: object) -> dict[str, FindingCodeSpec]:
    """A plugin's declared finding codes by code, in its order: a list (or tuple) of
    ``FindingCodeSpec`` with an upper-case code (at most 64 characters), a known severity and a
    description, no code twice."""
    if not isinstance(declared, list | tuple):
        raise ValueError(f"answered {_shown(declared)}, not a list of FindingCodeSpec")
    out: dict[str, FindingCodeSpec] = {}
    for spec in declared:
        if not isinstance(spec, FindingCodeSpec):
            raise ValueError(
                f"a finding code is a FindingCodeSpec(code, severity, description), "
                f"not {_shown(spec)}"
            )
        code = spec.code
        if not isinstance(code, str) or not DECLARED_CODE.match(code):
            raise ValueError(
                f"finding code {repr(code)[:80]} is not an upper-case code of at most "
                f"{MAX_FINDING_CODE} characters, such as EU_JUDGE_REQUIRED"
            )
        try:
            severity = _severity(spec.severity)
        except ValueError as exc:
            raise ValueError(f"finding code {code}: {exc}") from None
        description = spec.description
        if not isinstance(description, str) or not description.strip():
            raise ValueError(f"finding code {code} has no description")
        if code in out:
            raise ValueError(f"finding code {code} is declared twice")
        out[code] = FindingCodeSpec(code, severity, description.strip())
    return out


def findings(found: object, declared: Mapping[str, FindingCodeSpec] | None = None) -> list[Finding]:
    """A list (or tuple) of ``Finding``: a known severity, a code of at most 64 characters,
    a message and a citation, all text. With ``declared`` (the plugin's declared finding codes,
    when it declares any) each finding's code is one of them, with the severity declared for
    it."""
    if not isinstance(found, list | tuple):
        raise ValueError(f"answered {_shown(found)}, not a list of Finding")
    out = []
    for index, f in enumerate(found):
        if not isinstance(f, Finding):
            raise ValueError(f"finding {index} is {_shown(f)}, not a Finding")
        try:
            severity = _severity(f.severity)
        except ValueError as exc:
            raise ValueError(f"finding {index}: {exc}") from None
        code = _text(f.code, "code", index)
        if len(code) > MAX_FINDING_CODE:
            raise ValueError(f"finding {index}: code is longer than {MAX_FINDING_CODE} characters")
        if declared:
            _as_declared(index, code, severity, declared)
        message = _text(f.message, "message", index)
        citation = _text(f.citation, "citation", index, required=False)
        out.append(Finding(severity, code, message, citation))
    return out


def _as_declared(
    index: int, code: str, severity: Severity, declared: Mapping[str, FindingCodeSpec]
) -> None:
    spec = declared.get(code)
    if spec is None:
        raise ValueError(
            f"finding {index}: code {code} is not one the plugin declares in "
            f"trustcenter_finding_codes ({', '.join(declared)})"
        )
    if severity is not spec.severity:
        raise ValueError(
            f"finding {index}: code {code} is declared with severity {spec.severity.value}, "
            f"not {severity.value}"
        )


def exclusions(answer: object) -> list[Exclusion]:
    """A list (or tuple) of ``Exclusion`` whose country and reason are text. A bare code is
    kept as an exclusion without a reason: the report's build refuses it by name, like an
    empty or blank reason (``domain.report_policy``)."""
    if isinstance(answer, str) or not isinstance(answer, list | tuple):
        raise ValueError(f"answered {_shown(answer)}, not a list of Exclusion")
    out = []
    for index, item in enumerate(answer):
        if isinstance(item, str):
            item = Exclusion(item)
        if not isinstance(item, Exclusion):
            raise ValueError(f"exclusion {index} is {_shown(item)}, not an Exclusion")
        if not isinstance(item.country, str):
            raise ValueError(f"exclusion {index}: the country is {_shown(item.country)}, not text")
        if not isinstance(item.reason, str):
            raise ValueError(
                f"exclusion {index} ({item.country}): the reason is {_shown(item.reason)}, not text"
            )
        out.append(item)
    return out


def release_approvers(answer: object) -> int:
    """1 or 2, as an ``int`` (True, 3 or "yes" are not a number of people)."""
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise ValueError(f"answered {_shown(answer)}; expected 1, 2 or None")
    if answer not in APPROVERS:
        raise ValueError(f"answered {answer}; a release is agreed by 1 or 2 people")
    return answer
