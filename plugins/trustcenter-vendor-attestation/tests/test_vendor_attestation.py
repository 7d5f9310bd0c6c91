"""Vendor attestations, through trustcenter's plugin host and test kit."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from trustcenter_vendor_attestation import plugin

from trustcenter.plugins import VendorView
from trustcenter.plugins.testing import assert_conforms

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def vendor(until: datetime | None) -> VendorView:
    return VendorView(uuid.uuid4(), "Cloud storage provider", ("C",), True, until)


def test_conforms():
    assert_conforms(plugin)


def test_an_attestation_about_to_lapse_refuses_use(trustcenter_host):
    host = trustcenter_host(plugin)
    refusals = asyncio.run(host.vendor_refusals(vendor(NOW + timedelta(days=10)), ["C"], NOW))
    [(name, reason)] = refusals
    assert name == plugin.__name__ and "2026-12-10" in reason and "within 30 days" in reason


def test_an_attestation_that_lasts_lets_it_pass(trustcenter_host):
    host = trustcenter_host(plugin)
    assert asyncio.run(host.vendor_refusals(vendor(NOW + timedelta(days=90)), ["C"], NOW)) == []


def test_the_margin_is_configurable(trustcenter_host, monkeypatch):
    monkeypatch.setenv("TRUSTCENTER_VENDOR_ATTESTATION_MARGIN_DAYS", "5")
    host = trustcenter_host(plugin)
    assert asyncio.run(host.vendor_refusals(vendor(NOW + timedelta(days=10)), ["C"], NOW)) == []


def test_the_vendor_is_told_without_naming_the_user(
    trustcenter_host, trustcenter_request, tmp_path, monkeypatch
):
    path = tmp_path / "notices.jsonl"
    monkeypatch.setenv("TRUSTCENTER_VENDOR_NOTICE_FILE", str(path))
    host = trustcenter_host(plugin)
    request = trustcenter_request("DE", info_types="AC", identifier="secret.user@example.com")
    asyncio.run(host.vendor_notify(vendor(NOW + timedelta(days=90)), request, ["C"]))
    [line] = path.read_text().splitlines()
    notice = json.loads(line)
    assert notice["vendor"] == "Cloud storage provider" and notice["info_types"] == ["C"]
    assert "secret.user" not in line
