"""Access checks shared by every use case."""

from __future__ import annotations

from trustcenter.auth.principal import Principal


class NotAuthenticated(Exception):
    """No token was presented, and the operation is not public."""


class AccessDenied(Exception):
    """The principal lacks the scope the operation needs; nothing was changed."""

    def __init__(self, needed: str) -> None:
        super().__init__(f"this operation needs the scope {needed!r}")
        self.needed = needed


def require_authenticated(principal: Principal) -> None:
    if not principal.authenticated:
        raise NotAuthenticated()


def require_scope(principal: Principal, scope: str) -> None:
    require_authenticated(principal)
    if not principal.has(scope):
        raise AccessDenied(scope)


def require_any_scope(principal: Principal, scopes: frozenset[str], label: str) -> None:
    require_authenticated(principal)
    if not principal.has_any(scopes):
        raise AccessDenied(label)
