"""The EU rules, through trustcenter's own plugin host (as the product calls them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import product

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


def test_the_declared_finding_codes_are_the_codes_the_rules_return():
    """Over every issuer, kind of basis, data asked and emergency, each finding has a declared
    code with the severity declared for it, and every declared code is given by some rule."""
    declared = {(s.code, s.severity) for s in plugin.trustcenter_finding_codes()}
    given: set[tuple[str, Severity]] = set()
    for role, kind, types, emergency in product(
        ("judge", "court", "prosecutor", "police", "administrative", "other", None),
        ("production_order", "preservation_order", "emergency_declaration", "warrant"),
        ("A", "B", "C", "D", "E", "ABD", "ABCDE"),
        (False, True),
    ):
        asked = request(role=role, kind=kind, types=types, emergency=emergency)
        given |= {(f.code, f.severity) for f in plugin.trustcenter_review_findings(asked)}
    assert given == declared
    assert len(declared) == len({code for code, _ in declared}) == 4


def test_staff_read_the_declared_codes_through_the_host(host):
    [eu] = [p for p in host.describe() if p.name == "eu"]
    assert [(f.code, f.severity) for f in eu.finding_codes] == [
        ("EU_JUDGE_REQUIRED", Severity.BLOCK),
        ("EU_EMERGENCY_VALIDATION_DUE", Severity.WARNING),
        ("EU_ISSUER_NOT_COMPETENT", Severity.BLOCK),
        ("EU_NOT_AN_EPOC", Severity.INFO),
    ]
    assert all(f.description.endswith(").") for f in eu.finding_codes)  # each cites its article


def from_abroad(agency_country: str, jurisdiction: str = "DE", kind: str = "production_order"):
    return replace(request(jurisdiction, kind=kind), agency_country=agency_country)


@pytest.mark.parametrize(
    ("agency_country", "jurisdiction", "kind", "accepted"),
    [
        ("FR", "DE", "production_order", True),  # an order between member states
        ("FR", "DE-BE", "production_order", True),
        ("IT", "IE", "production_order", True),
        ("DK", "DE", "production_order", False),  # Denmark does not take part
        ("US", "DE", "production_order", False),  # not a member state at all
        ("FR", "DE", "warrant", False),  # a national warrant does not travel
        ("FR", "DE", "subpoena", False),
        ("US", "DE", "mutual_legal_assistance", True),
        ("BR", "FR", "mutual_legal_assistance", True),
    ],
)
async def test_what_is_accepted_from_abroad(host, agency_country, jurisdiction, kind, accepted):
    assert (
        await host.accepts_from_abroad(from_abroad(agency_country, jurisdiction, kind)) is accepted
    )


async def test_only_the_requested_states_rules_answer(host):
    # a production order from Germany to the United States is the US's question, not the EU's
    assert await host.accepts_from_abroad(from_abroad("DE", "US")) is False


async def test_end_to_end_a_french_order_for_germany(trustcenter_app):
    order = {
        "jurisdiction": "DE",
        "officer": {"name": "Cdt. Martin", "email": "martin@police.example"},
        "legalBasis": {"kind": "PRODUCTION_ORDER", "reference": "EPOC-FR-1",
                       "issuedBy": "Tribunal judiciaire de Paris", "issuerRole": "JUDGE",
                       "issuedAt": "2026-11-20"},
        "targets": [{"identifierType": "EMAIL", "identifier": "a@example.com", "infoTypes": ["A"]}],
        "reason": "Fraud investigation.",
    }  # fmt: skip
    submit = """mutation($i: SubmitRequestInput!) { submitRequest(input: $i) {
      request { jurisdiction receivedAt deadline } userErrors { field code } } }"""
    async with trustcenter_app(plugin) as app:
        french = await app.agency_token("FR")
        done = (await app.graphql(submit, {"i": order}, french))["data"]["submitRequest"]
        assert done["userErrors"] == [] and done["request"]["jurisdiction"] == "DE"
        warrant = {**order, "legalBasis": {**order["legalBasis"], "kind": "WARRANT"}}
        refused = (await app.graphql(submit, {"i": warrant}, french))["data"]["submitRequest"]
        assert refused["userErrors"] == [{"field": "jurisdiction", "code": "JURISDICTION"}]
