"""The notice's words: chosen by the user's region, complete in every language, and holding
only the facts the policy promises."""

from __future__ import annotations

from datetime import date

import pytest

from trustcenter.domain.enums import InfoType
from trustcenter.domain.notice_text import LANGUAGES, WORDS, NoticeFacts, compose, language_for

FACTS = NoticeFacts(
    requested_on=date(2026, 10, 2),
    authority_kind="judicial",
    country="FR",
    disclosed_on=date(2026, 10, 20),
    info_types=("C", "A"),
)


@pytest.mark.parametrize(
    ("region", "preferred", "language"),
    [
        ("DE", "en", "de"),
        ("AT", None, "de"),
        ("FR", "en", "fr"),
        ("BR", "en", "pt"),
        ("MX", None, "es"),
        ("NL", "en", "nl"),
        ("US", "de", "en"),  # the region decides, not the account's setting
        ("JP", "ja", "en"),  # no Japanese template yet: English
        ("BE", "fr", "fr"),  # several official languages: the user's own among them
        ("BE", "en", "nl"),
        ("CH", "fr", "fr"),
        ("ca", "fr", "fr"),
        ("", None, "en"),
    ],
)
def test_the_language_follows_the_region(region: str, preferred: str | None, language: str):
    assert language_for(region, preferred) == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_word(language: str):
    words = WORDS[language]
    assert set(words.info) == {t.value for t in InfoType}
    assert {"law_enforcement", "judicial", "administrative", "other"} <= set(words.authority)
    assert len(words.months) == 12 and len(set(words.months)) == 12
    subject, body = compose(FACTS, language)
    assert subject and "{" not in body and "}" not in body
    assert body.count("  - ") == 2  # exactly the two types disclosed


def test_english_states_the_promised_facts():
    subject, body = compose(FACTS, "en")
    assert subject == "A government authority received information about you"
    assert "Requested on: 2 October 2026" in body
    assert "Requested by: a court" in body
    assert "Country of the authority: France" in body
    assert "Provided on: 20 October 2026" in body
    assert "  - account information\n  - usage information\n" in body
    assert "product information" not in body


def test_german_names_the_country_and_dates_in_german():
    _, body = compose(FACTS, "de")
    assert "Land der Behörde: Frankreich" in body
    assert "Angefordert am: 2. Oktober 2026" in body
    assert "Angefordert von: einem Gericht" in body
    assert "Kontoinformationen" in body and "Nutzungsinformationen" in body


def test_an_unknown_language_or_authority_kind_still_reads_well():
    facts = NoticeFacts(date(2026, 1, 5), "tax_office", "US", date(2026, 1, 9), ("E",))
    subject, body = compose(facts, "xx")
    assert subject == WORDS["en"].subject
    assert "Requested by: a government authority" in body
    assert "Country of the authority: United States" in body
