"""The Stored Communications Act tiers, through trustcenter's plugin host and test kit."""

from __future__ import annotations

import asyncio
from datetime import date
from itertools import product

import pytest
from trustcenter_us import plugin

from trustcenter.plugins import Severity
from trustcenter.plugins.testing import assert_conforms, make_request


def findings(host, request) -> dict[str, tuple[Severity, str]]:
    found = asyncio.run(host(plugin).findings(request))
    assert all(name == plugin.__name__ for name, _ in found)
    return {f.code: (f.severity, f.citation) for _, f in found}


def test_conforms():
    assert_conforms(plugin)


def test_the_declared_finding_codes_are_the_codes_the_rules_return():
    """Over every kind of legal basis, the data asked, emergencies and § 2705(b) orders, each
    finding has a declared code with the severity declared for it, and every declared code is
    given by some rule."""
    declared = {(s.code, s.severity) for s in plugin.trustcenter_finding_codes()}
    given: set[tuple[str, Severity]] = set()
    for kind, types, emergency, until in product(
        (
            "subpoena",
            "court_order",
            "warrant",
            "emergency_declaration",
            "executive_agreement",
            "mutual_legal_assistance",
            "administrative_order",
        ),
        ("A", "C", "D", "E", "AC", "ABCDE"),
        (False, True),
        (None, date(2027, 6, 1)),
    ):
        asked = make_request(
            "US", kind=kind, info_types=types, emergency=emergency, non_disclosure_until=until
        )
        given |= {(f.code, f.severity) for f in plugin.trustcenter_review_findings(asked)}
    assert given == declared
    assert len(declared) == len({code for code, _ in declared}) == 8


def test_the_host_accepts_every_finding_it_declares(trustcenter_host, trustcenter_request):
    """Through the host, which checks findings against the declared codes: a subpoena for
    everything gives a block and a warning, both as declared."""
    found = findings(trustcenter_host, trustcenter_request("US", kind="subpoena", info_types="ACE"))
    assert {code: severity for code, (severity, _) in found.items()} == {
        "US_SUBPOENA_BEYOND_SUBSCRIBER_INFO": Severity.BLOCK,
        "US_SUBPOENA_LOGIN_IPS_ONLY": Severity.WARNING,
    }


def test_governs_the_united_states_and_its_states(trustcenter_host):
    host = trustcenter_host(plugin)
    assert host.plugin_for("US") == host.plugin_for("US-CA") == plugin.__name__
    assert host.plugin_for("CA") == "trustcenter.jurisdiction"


@pytest.mark.parametrize("types", ["A", "C", "AC"])
def test_a_subpoena_reaches_subscriber_information(trustcenter_host, trustcenter_request, types):
    found = findings(trustcenter_host, trustcenter_request("US", kind="subpoena", info_types=types))
    assert not [c for c, (s, _) in found.items() if s is Severity.BLOCK]
    if "C" in types:
        assert found["US_SUBPOENA_LOGIN_IPS_ONLY"][0] is Severity.WARNING


@pytest.mark.parametrize("types", ["B", "D", "E", "ABDE"])
def test_a_subpoena_does_not_reach_more(trustcenter_host, trustcenter_request, types):
    found = findings(trustcenter_host, trustcenter_request("US", kind="subpoena", info_types=types))
    assert found["US_SUBPOENA_BEYOND_SUBSCRIBER_INFO"] == (Severity.BLOCK, "18 U.S.C. § 2703(c)(2)")


def test_a_2703d_order_reaches_records_not_content(trustcenter_host, trustcenter_request):
    records = findings(
        trustcenter_host, trustcenter_request("US", kind="court_order", info_types="ABCD")
    )
    assert records == {}
    content = findings(
        trustcenter_host, trustcenter_request("US", kind="court_order", info_types="AE")
    )
    assert content["US_CONTENT_NEEDS_WARRANT"] == (Severity.BLOCK, "18 U.S.C. § 2703(b)(1)(A)")


def test_a_warrant_reaches_everything(trustcenter_host, trustcenter_request):
    assert (
        findings(trustcenter_host, trustcenter_request("US", kind="warrant", info_types="ABCDE"))
        == {}
    )


def test_emergency_disclosure(trustcenter_host, trustcenter_request):
    found = findings(
        trustcenter_host,
        trustcenter_request("US", kind="emergency_declaration", emergency=True, info_types="AC"),
    )
    assert found["US_EMERGENCY_VOLUNTARY"][0] is Severity.INFO
    assert "2702(b)(8)" in found["US_EMERGENCY_VOLUNTARY"][1]
    found = findings(
        trustcenter_host, trustcenter_request("US", kind="emergency_declaration", emergency=False)
    )
    assert found["US_EMERGENCY_NOT_DECLARED"][0] is Severity.BLOCK


def test_other_instruments_compel_nothing(trustcenter_host, trustcenter_request):
    found = findings(trustcenter_host, trustcenter_request("US", kind="administrative_order"))
    assert found["US_NOT_COMPULSORY_PROCESS"] == (Severity.BLOCK, "18 U.S.C. § 2703")


def test_a_2705b_order_is_named_with_its_end_date(trustcenter_host, trustcenter_request):
    found = asyncio.run(
        trustcenter_host(plugin).findings(
            trustcenter_request("US", kind="warrant", non_disclosure_until=date(2027, 6, 30))
        )
    )
    [(_, finding)] = found
    assert finding.code == "US_2705B_ORDER" and "2027-06-30" in finding.message
    assert finding.citation == "18 U.S.C. § 2705(b)"


def test_the_defaults_keep_the_deadline(trustcenter_host, trustcenter_request):
    request = trustcenter_request("US")
    due = asyncio.run(trustcenter_host(plugin).response_deadline(request))
    assert (due - request.received_at).days == 30


@pytest.mark.parametrize(
    ("kind", "accepted"),
    [
        ("executive_agreement", True),  # 18 U.S.C. § 2523
        ("mutual_legal_assistance", True),
        ("warrant", False),  # a foreign warrant compels nothing here
        ("subpoena", False),
        ("production_order", False),
    ],
)
def test_what_is_accepted_from_abroad(trustcenter_host, trustcenter_request, kind, accepted):
    request = trustcenter_request("US-CA", kind=kind, agency_country="GB")
    assert asyncio.run(trustcenter_host(plugin).accepts_from_abroad(request)) is accepted


def test_the_executive_agreement_is_a_kind_of_legal_basis(trustcenter_host):
    assert "executive_agreement" in trustcenter_host(plugin).legal_basis_kinds


def test_an_executive_agreement_order_is_pointed_out_not_blocked(
    trustcenter_host, trustcenter_request
):
    request = trustcenter_request("US", kind="executive_agreement", agency_country="GB")
    found = findings(trustcenter_host, request)
    assert list(found) == ["US_EXECUTIVE_AGREEMENT"]
    severity, citation = found["US_EXECUTIVE_AGREEMENT"]
    assert severity is Severity.INFO and "§ 2523" in citation
