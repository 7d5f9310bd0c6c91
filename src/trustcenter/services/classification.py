"""Reclassifying a request: a reviewer corrects the category the transparency report counts.

At submission the product classifies the request (SPEC section 6) and a plugin's category is
taken as the agency named it. A reviewer who reads the request differently may move it to any
registered category, with a reason; a plugin's category is checked by its plugin's rules as at
submission (a preservation needs a preservation order). The change is audited
(``request.reclassified`` with the categories before and after and the reason), bumps the
request's version, and the agency reads the new category. It is possible while the request is
still being handled, from receipt until disclosure (RECEIVED to REJECTED); a disclosed, closed,
withdrawn or superseded request keeps its category: it was answered (or replaced) under it.
Deadline and hold set at submission stay as they are; the findings are recomputed in the same
transaction, as after a decision.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import REVIEW
from trustcenter.clock import Clock
from trustcenter.db.models import Request
from trustcenter.db.session import Database
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.lifecycle import BEFORE_DISCLOSURE, RequestStatus
from trustcenter.plugins.host import PluginHost, builtin_host
from trustcenter.services import findings
from trustcenter.services.access import require_scope
from trustcenter.services.changes import apply, lock_request
from trustcenter.services.plugin_views import view_of_request

MAX_REASON = 4000


def _input_problems(code: str, reason: str, host: PluginHost) -> list[Problem]:
    problems = []
    if code not in host.categories:
        problems.append(
            Problem(
                "category",
                f"{code or 'an empty value'} is not a category here; known: "
                f"{', '.join(sorted(host.categories))}",
                ErrorCode.UNKNOWN_CATEGORY,
            )
        )
    if not reason:
        problems.append(
            Problem("reason", "is required: say why the category changes", ErrorCode.INVALID_INPUT)
        )
    elif len(reason) > MAX_REASON:
        problems.append(
            Problem("reason", f"is longer than {MAX_REASON} characters", ErrorCode.INVALID_INPUT)
        )
    return problems


async def reclassify(
    db: Database,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    version: int,
    category: str,
    reason: str,
    plugins: PluginHost | None = None,
) -> Request:
    """Move the request to ``category`` (scope review); refused on a stale ``version``."""
    require_scope(principal, REVIEW)
    host = plugins or builtin_host()
    code = category.strip().upper()
    text = (reason or "").strip()
    problems = _input_problems(code, text, host)
    if problems:
        raise DomainError(problems)
    async with db.transaction() as session:
        row = await lock_request(session, principal, request_id, version, agency_only=False)
        status = RequestStatus(row.status)
        if status not in BEFORE_DISCLOSURE:
            raise DomainError.single(
                "requestId",
                f"cannot reclassify a request that is {status.name}: it keeps the category "
                "it was answered under",
                ErrorCode.INVALID_TRANSITION,
            )
        before = row.category.upper()
        if before == code:
            raise DomainError.single(
                "category", f"the request already is {code}", ErrorCode.INVALID_INPUT
            )
        refused = await host.validate(replace(await view_of_request(session, row), category=code))
        if refused:
            raise DomainError(
                [
                    Problem(
                        "category", f"as {code}, {p.field}: {p.message}", ErrorCode.INVALID_INPUT
                    )
                    for p in refused
                ]
            )
        row.category = code.lower()
        await apply(
            session,
            clock,
            principal,
            row,
            None,
            "request.reclassified",
            {"from": before, "to": code, "reason": text},
        )
        await findings.recompute(session, clock, principal, row, host)
    return row
