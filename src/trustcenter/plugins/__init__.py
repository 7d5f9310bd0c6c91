"""The extension surface: hook contract (``hookspecs``), loading (``manager``), the only caller
of hooks (``host``), the core's defaults written as plugins (``builtin``), and the values that
cross the boundary (``api``)."""

import pluggy

from trustcenter.plugins.api import (
    CategorySpec,
    Exclusion,
    Finding,
    HoldDecision,
    ItemView,
    LegalBasisView,
    NoticeView,
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
    "HoldDecision",
    "ItemView",
    "LegalBasisView",
    "NoticeView",
    "Problem",
    "ReasonCodeSpec",
    "RequestView",
    "Severity",
    "VendorView",
    "hookimpl",
]
