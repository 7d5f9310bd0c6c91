"""Which jurisdictions an agency may submit for on its own authority (the pure rule)."""

from __future__ import annotations

import pytest

from trustcenter.domain.errors import ErrorCode
from trustcenter.domain.jurisdiction import beyond_own_country, parse_grants, within_grant


@pytest.mark.parametrize(
    ("jurisdiction", "country", "granted", "within"),
    [
        ("DE", "DE", [], True),
        ("de-be", "DE", [], True),  # its own country's subdivisions
        ("US", "DE", [], False),
        ("DEU", "DE", [], False),  # not a subdivision of DE, only a prefix
        ("FR", "NL", ["DE", "FR"], True),
        ("FR-IDF", "NL", ["FR"], True),  # a granted country covers its subdivisions
        ("FR", "NL", ["FR-IDF"], False),  # a granted subdivision covers only itself
        ("FR-IDF", "NL", ["FR-IDF"], True),
        ("AT", "NL", ["DE", "FR"], False),
    ],
)
def test_within_grant(jurisdiction: str, country: str, granted: list[str], within: bool) -> None:
    assert within_grant(jurisdiction, country, granted) is within


def test_grants_are_normalised_and_garbage_is_refused() -> None:
    codes, problems = parse_grants(["de, FR-idf", "DE"])
    assert (codes, problems) == (["DE", "FR-IDF"], [])
    codes, problems = parse_grants(["DE,XX", "ZZ-99"])
    assert codes == ["DE"]
    assert [(p.field, p.code) for p in problems] == [
        ("jurisdictions", ErrorCode.INVALID_JURISDICTION)
    ] * 2
    assert "'XX'" in problems[0].message


def test_only_codes_outside_the_own_country_need_evidence() -> None:
    assert beyond_own_country("DE", ["DE", "DE-BE", "FR", "AT-9"]) == ["FR", "AT-9"]
