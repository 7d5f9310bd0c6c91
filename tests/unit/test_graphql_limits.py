"""The GraphQL layer is handed its limits as plain values: their defaults are the
configuration's, and the app passes the configured ones on unchanged."""

from __future__ import annotations

import dataclasses

from trustcenter.config import Settings
from trustcenter.services.deps import GraphQLLimits
from trustcenter.web.graphql_app import graphql_limits


def test_the_defaults_are_the_configurations() -> None:
    assert graphql_limits(Settings()) == GraphQLLimits()


def test_every_configured_limit_reaches_the_graphql_layer() -> None:
    changed = Settings(
        env="production",
        max_query_depth=3,
        max_aliases=4,
        max_tokens=5,
        default_page_size=6,
        max_page_size=7,
        max_query_cost=8,
        graphql_cost_per_minute=9,
        graphql_requests_per_minute=10,
        graphql_anonymous_cost_per_minute=11,
        graphql_anonymous_requests_per_minute=12,
        rate_limit_prefix="elsewhere",
    )
    limits = graphql_limits(changed)
    defaults = GraphQLLimits()
    names = {f.name for f in dataclasses.fields(GraphQLLimits)}
    assert {n for n in names if getattr(limits, n) != getattr(defaults, n)} == names
