"""The built-in data source: the accounts, products and records in trustcenter's own tables,
read by the SQL source the host hands to the hook (the composition root builds it)."""

from __future__ import annotations

from typing import Any

from trustcenter.plugins import hookimpl


@hookimpl(trylast=True)
def trustcenter_data_source(sql_source: Any) -> Any:
    return sql_source
