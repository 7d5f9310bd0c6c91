"""Reading and writing agencies, their clients' vendors and agency-side settings."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class AgencyRepository(Repository):
    """Agencies, their clients' vendors and agency-side settings."""
