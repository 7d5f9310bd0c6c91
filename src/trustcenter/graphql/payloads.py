"""Every mutation answers with a payload: what it changed, or its userErrors and nothing else."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from trustcenter.domain.errors import DomainError
from trustcenter.graphql.errors import user_errors

T = TypeVar("T")
P = TypeVar("P")


async def payload(
    refused: Callable[..., P],
    work: Callable[[], Awaitable[T]],
    done: Callable[[T], P | Awaitable[P]],
) -> P:
    """Run ``work``; a DomainError it raises becomes ``refused(user_errors=…)``, its result
    becomes ``done(result)`` (which may be async)."""
    try:
        result = await work()
    except DomainError as error:
        return refused(user_errors=user_errors(error))
    out: Any = done(result)
    return cast(P, await out if inspect.isawaitable(out) else out)
