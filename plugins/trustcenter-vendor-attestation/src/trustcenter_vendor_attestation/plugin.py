"""The guideline: "If any vendors involved, we will contractually require them to adhere to
the same standards."

- Before a vendor's data is used, its attestation must still hold for a margin after the release
  (default 30 days, ``TRUSTCENTER_VENDOR_ATTESTATION_MARGIN_DAYS``): a vendor whose attestation
  is about to lapse cannot confirm it will treat the request by the same standards.
- After release, the vendor is told which request touched its data and which information types:
  one JSON line per notice in ``TRUSTCENTER_VENDOR_NOTICE_FILE`` (default
  ``vendor-notices.jsonl``), for the vendor-management system to deliver. The notice names the
  request, never the user.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from trustcenter.plugins import RequestView, VendorView, hookimpl

DEFAULT_MARGIN_DAYS = 30


def margin() -> timedelta:
    raw = os.environ.get("TRUSTCENTER_VENDOR_ATTESTATION_MARGIN_DAYS", "")
    return timedelta(days=int(raw) if raw.strip() else DEFAULT_MARGIN_DAYS)


def notice_file() -> Path:
    return Path(os.environ.get("TRUSTCENTER_VENDOR_NOTICE_FILE") or "vendor-notices.jsonl")


@hookimpl
def trustcenter_vendor_check(
    vendor: VendorView, info_types: list[str], now: datetime
) -> str | None:
    if vendor.attested_until is None:
        return None  # the core already refuses vendors without an attestation
    if vendor.attested_until < now + margin():
        return (
            f"its attestation ends on {vendor.attested_until:%Y-%m-%d}, within "
            f"{margin().days} days: renew it before its data ({', '.join(info_types)}) is "
            "used"
        )
    return None


@hookimpl
def trustcenter_vendor_notify(
    vendor: VendorView, request: RequestView, info_types: list[str]
) -> None:
    notice = {
        "vendor_id": str(vendor.id),
        "vendor": vendor.name,
        "request_id": str(request.id),
        "jurisdiction": request.jurisdiction,
        "info_types": sorted(info_types),
        "standard": "the company's guideline on law-enforcement requests applies",
    }
    with notice_file().open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(notice, sort_keys=True) + "\n")
