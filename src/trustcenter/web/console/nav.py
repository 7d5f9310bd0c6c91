"""The console's navigation: its sections and the scopes that open each (any one of them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str
    #: any one of these scopes shows the item
    scopes: frozenset[str]


NAV = (
    NavItem("/console/queue", "Queue", frozenset({"review", "audit", "admin"})),
    NavItem("/console/notices", "Notices", frozenset({"notices"})),
    NavItem("/console/agencies", "Agencies", frozenset({"admin"})),
    NavItem("/console/vendors", "Vendors", frozenset({"review", "admin"})),
    NavItem("/console/transparency", "Transparency", frozenset({"reports"})),
    NavItem("/console/audit", "Audit", frozenset({"audit"})),
    NavItem("/console/staff", "Staff", frozenset({"admin"})),
    NavItem("/console/plugins", "Plugins", frozenset({"review", "audit", "admin"})),
)


def sections_for(scopes: frozenset[str]) -> list[NavItem]:
    """The sections a person with ``scopes`` may open, in the navigation's order."""
    return [n for n in NAV if n.scopes & scopes]
