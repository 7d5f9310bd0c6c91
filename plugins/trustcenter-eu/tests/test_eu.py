"""The EU rules, through trustcenter's own plugin host (as the product calls them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from trustcenter_eu import plugin

from trustcenter.plugins import ItemView, LegalBasisView, RequestView, Severity
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(*load("", extra=[("eu", plugin)]))


def request(
    jurisdiction: str = "DE",
    *,
    role: str | None = "judge",
    types: str = "A",
    emergency: bool = False,
    kind: str = "production_order",
) -> RequestView:
    return RequestView(
        id=None,
        jurisdiction=jurisdiction,
        category=None,
        emergency=emergency,
        received_at=RECEIVED,
        agency_kind="judicial",
        agency_country=jurisdiction[:2],
        legal_basis=LegalBasisView(
            kind, "EPOC-1", "Staatsanwaltschaft Berlin", role, date(2026, 11, 20), None, None
        ),
        items=tuple(ItemView("email", "a@example.com", t, None, None) for t in types),
    )


def test_claims_the_member_states_bound_by_the_regulation(host):
    routes = host.jurisdictions()
    assert routes["DE"] == routes["FR"] == routes["IE"] == "eu"
    assert "DK" not in routes  # Denmark does not take part
    assert host.plugin_for("DE-BE") == "eu"  # a German subdivision follows Germany
    assert host.plugin_for("US") == "trustcenter.jurisdiction"


async def test_production_within_ten_days(host):
    assert await host.response_deadline(request()) == RECEIVED + timedelta(days=10)


async def test_emergency_within_eight_hours(host):
    due = await host.response_deadline(request(emergency=True))
    assert due == RECEIVED + timedelta(hours=8)


async def test_outside_the_eu_the_default_applies(host):
    assert await host.response_deadline(request("US")) == RECEIVED + timedelta(days=30)
    assert await host.response_deadline(request("DK")) == RECEIVED + timedelta(days=30)


@pytest.mark.parametrize("types", ["C", "E", "AC", "ABDE"])
async def test_a_prosecutor_may_not_order_traffic_or_content_data(host, types):
    findings = [f for _, f in await host.findings(request(role="prosecutor", types=types))]
    block = [f for f in findings if f.code == "EU_JUDGE_REQUIRED"]
    assert len(block) == 1 and block[0].severity is Severity.BLOCK
    assert block[0].citation == "Regulation (EU) 2023/1543, Art. 4(2)"


@pytest.mark.parametrize("types", ["A", "B", "D", "ABD"])
async def test_a_prosecutor_may_order_subscriber_data(host, types):
    assert await host.findings(request(role="prosecutor", types=types)) == []


@pytest.mark.parametrize("role", ["judge", "court"])
async def test_a_judge_or_court_may_order_everything(host, role):
    assert await host.findings(request(role=role, types="ABCDE")) == []


async def test_police_order_is_not_competent(host):
    findings = [f for _, f in await host.findings(request(role="police", types="A"))]
    assert [(f.code, f.severity, f.citation) for f in findings] == [
        ("EU_ISSUER_NOT_COMPETENT", Severity.BLOCK, "Regulation (EU) 2023/1543, Art. 4(1)")
    ]
    findings = [f for _, f in await host.findings(request(role=None, types="C"))]
    assert findings[0].citation.endswith("Art. 4(2)")


async def test_emergency_without_validation_needs_it_within_48_hours(host):
    findings = [f for _, f in await host.findings(request(role="police", emergency=True))]
    assert [f.code for f in findings] == ["EU_EMERGENCY_VALIDATION_DUE"]
    assert findings[0].severity is Severity.WARNING
    assert "2026-12-02 09:00" in findings[0].message
    assert findings[0].citation.endswith("Art. 4(5)")


async def test_a_basis_that_is_not_an_epoc_is_pointed_out(host):
    findings = [f for _, f in await host.findings(request(kind="warrant"))]
    assert [f.code for f in findings] == ["EU_NOT_AN_EPOC"]
    assert findings[0].severity is Severity.INFO


def test_every_finding_cites_its_source():
    for role in ("judge", "prosecutor", "police", None):
        for emergency in (False, True):
            req = request(role=role, types="ABCDE", emergency=emergency, kind="warrant")
            for finding in plugin.trustcenter_review_findings(req):
                assert finding.citation.startswith("Regulation (EU) 2023/1543, Art. ")
