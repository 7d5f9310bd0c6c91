"""The extension surface: hook contract (``hookspecs``), loading (``manager``), the only caller
of hooks (``host``, which has pluggy call them through ``calls``), the core's defaults written as
plugins (``builtin``), and the values that cross the boundary (``api``). It imports the domain
and nothing else of the product: what a hook needs from the application (the outbox writer, the
built-in data source) is handed to it by the host, which the composition root builds."""

import pluggy

from trustcenter.plugins.api import (
    CategorySpec,
    Exclusion,
    Finding,
    FindingCodeSpec,
    HoldDecision,
    ItemView,
    LegalBasisView,
    NoticeView,
    OutboxWriter,
    Problem,
    ReasonCodeSpec,
    RequestView,
    Severity,
    VendorView,
)

hookimpl = pluggy.HookimplMarker("trustcenter")

__all__ = [
    "CategorySpec",
    "Exclusion",
    "Finding",
    "FindingCodeSpec",
    "HoldDecision",
    "ItemView",
    "LegalBasisView",
    "NoticeView",
    "OutboxWriter",
    "Problem",
    "ReasonCodeSpec",
    "RequestView",
    "Severity",
    "VendorView",
    "hookimpl",
]
