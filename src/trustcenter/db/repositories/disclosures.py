"""Reading and writing disclosures and their packages."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class DisclosureRepository(Repository):
    """Disclosures and their packages."""
