"""Reading and writing documents (legal-basis uploads, sealed documents) and their rules."""

from __future__ import annotations

from trustcenter.db.repositories import Repository


class DocumentRepository(Repository):
    """Documents (legal-basis uploads, sealed documents) and their rules."""
