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
from trustcenter.db.models import Request
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.lifecycle import Activity
from trustcenter.domain.rules import category_code, stored_category
from trustcenter.plugins.host import PluginHost
from trustcenter.services import findings
from trustcenter.services.access import authorize
from trustcenter.services.changes import apply, lock_request
from trustcenter.services.deps import AppParts
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
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    version: int,
    category: str,
    reason: str,
) -> Request:
    """Move the request to ``category``; refused on a stale ``version``."""
    authorize(principal, "reclassify")
    host = app.plugins
    code = category_code(category)
    text = (reason or "").strip()
    problems = _input_problems(code, text, host)
    if problems:
        raise DomainError(problems)
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False,
            operation=Activity.RECLASSIFY,
        )  # fmt: skip
        before = category_code(row.category)
        if before == code:
            raise DomainError.single(
                "category", f"the request already is {code}", ErrorCode.INVALID_INPUT
            )
        refused = await host.validate(replace(await view_of_request(uow, row), category=code))
        if refused:
            raise DomainError(
                [
                    Problem(
                        "category", f"as {code}, {p.field}: {p.message}", ErrorCode.INVALID_INPUT
                    )
                    for p in refused
                ]
            )
        row.category = stored_category(code)
        await apply(
            uow,
            app.clock,
            principal,
            row,
            None,
            "request.reclassified",
            {"from": before, "to": code, "reason": text},
        )
        await findings.recompute(uow, app.clock, principal, row, host)
    return row
