"""The built-in data source: the accounts, products and records in trustcenter's own tables."""

from __future__ import annotations

from typing import Any

from trustcenter.disclosure.sources import SqlDataSource
from trustcenter.plugins import hookimpl


@hookimpl(trylast=True)
def trustcenter_data_source(db: Any) -> SqlDataSource:
    return SqlDataSource(db)
