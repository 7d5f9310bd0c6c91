"""PRESERVATION through trustcenter's plugin host and test kit."""

from __future__ import annotations

import asyncio

from trustcenter_preservation import plugin

from trustcenter.plugins.testing import assert_conforms


def test_conforms():
    assert_conforms(plugin)


def test_the_category_is_registered(trustcenter_host):
    host = trustcenter_host(plugin)
    assert "PRESERVATION" in host.categories
    assert "preservation_order" in host.legal_basis_kinds


def test_a_preservation_request_needs_a_preservation_order(trustcenter_host, trustcenter_request):
    host = trustcenter_host(plugin)
    ok = trustcenter_request(category="PRESERVATION", kind="preservation_order")
    assert asyncio.run(host.validate(ok)) == []
    wrong = trustcenter_request(category="PRESERVATION", kind="warrant", emergency=True)
    fields = [p.field for p in asyncio.run(host.validate(wrong))]
    assert fields == ["legalBasis.kind", "emergency"]


def test_other_categories_are_left_alone(trustcenter_host, trustcenter_request):
    host = trustcenter_host(plugin)
    other = trustcenter_request(category="ACCOUNT", kind="warrant")
    assert asyncio.run(host.validate(other)) == []
    assert asyncio.run(host.release_refusals(other)) == []


def test_nothing_is_released(trustcenter_host, trustcenter_request):
    host = trustcenter_host(plugin)
    refusals = asyncio.run(
        host.release_refusals(
            trustcenter_request(category="PRESERVATION", kind="preservation_order")
        )
    )
    [(name, reason)] = refusals
    assert name == plugin.__name__ and "discloses nothing" in reason and "2703(f)" in reason


def test_the_data_is_held_for_90_days_extendable_once_by_90(trustcenter_host, trustcenter_request):
    from datetime import timedelta

    host = trustcenter_host(plugin)
    request = trustcenter_request(category="PRESERVATION", kind="preservation_order")
    until = asyncio.run(host.hold_until(request))
    assert until == request.received_at + timedelta(days=90)
    name, first = asyncio.run(host.extend_hold(request, until, 0))
    assert name == plugin.__name__ and first.until == until + timedelta(days=90)
    _, second = asyncio.run(host.extend_hold(request, first.until, 1))
    assert second.until is None and "once" in second.refused
    other = trustcenter_request(category="ACCOUNT")
    assert asyncio.run(host.hold_until(other)) is None
    assert asyncio.run(host.extend_hold(other, until, 0)) is None
