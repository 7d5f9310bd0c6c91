"""Per-request context: who asks, the application's parts, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trustcenter.auth.principal import Principal

if TYPE_CHECKING:
    from trustcenter.graphql.cost import Budget
    from trustcenter.graphql.loaders import Loaders
    from trustcenter.services.deps import AppParts


@dataclass
class Context:
    principal: Principal
    app: AppParts
    loaders: Loaders
    request: Any = None
    response: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: the app's callers' budgets per minute (none: only the per-request maximum cost applies)
    budget: Budget | None = None
