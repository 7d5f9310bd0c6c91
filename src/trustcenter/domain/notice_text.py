"""The delayed user notice composed in the user's language, chosen by the user's region (the
texts per language are in ``trustcenter.domain.notice_words``).

A notice says what was requested, by which kind of authority and from which country, when, and
which information types were disclosed. It never names the agency, its officers, its case or
legal-basis reference, other targets, or anything about an exception: a notice is only written
once no exception and no non-disclosure order holds, and even then it tells the user only the
facts the policy promises."""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

import pycountry

from trustcenter.domain.notice_words import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from trustcenter.domain.notice_words import LANGUAGES as LANGUAGES
from trustcenter.domain.notice_words import WORDS as WORDS
from trustcenter.domain.notice_words import Words as Words

#: the template language for a user's region (ISO 3166-1); regions not listed get English
REGION_LANGUAGE: dict[str, str] = {
    **dict.fromkeys(("DE", "AT", "LI"), "de"),
    **dict.fromkeys(("FR", "MC"), "fr"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "UY", "PY", "BO"), "es"),
    **dict.fromkeys(("BR", "PT", "AO", "MZ"), "pt"),
    **dict.fromkeys(("NL", "SR"), "nl"),
}
#: regions with several official languages: the user's own language among them, else the first
MULTILINGUAL: dict[str, tuple[str, ...]] = {
    "BE": ("nl", "fr", "de"),
    "CH": ("de", "fr"),
    "LU": ("fr", "de"),
    "CA": ("en", "fr"),
}


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What a notice may tell the user — nothing else reaches the template."""

    requested_on: date
    authority_kind: str  # law_enforcement, judicial or administrative
    country: str  # ISO 3166-1 alpha-2 of the requesting authority
    disclosed_on: date
    info_types: tuple[str, ...]  # letters A to E


def language_for(region: str | None, preferred: str | None = None) -> str:
    """The template language for a user: by region; where the region has several official
    languages, the user's own language when it is one of them."""
    region = (region or "").upper()
    if region in MULTILINGUAL:
        options = MULTILINGUAL[region]
        wanted = (preferred or "").lower()[:2]
        return wanted if wanted in options else options[0]
    return REGION_LANGUAGE.get(region, DEFAULT_LANGUAGE)


@cache
def _countries(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def country_name(code: str, language: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code.upper()
    name = getattr(country, "common_name", None) or country.name
    return _countries(language).gettext(name)


def _day(words: Words, day: date) -> str:
    return words.date_format.format(d=day.day, month=words.months[day.month - 1], y=day.year)


def _listed(words: Words, letters: Iterable[str]) -> str:
    return "\n".join(f"  - {words.info[letter]}" for letter in sorted(set(letters)))


def compose(facts: NoticeFacts, language: str) -> tuple[str, str]:
    """The notice's subject and body in ``language`` (English when there is no template)."""
    words = WORDS.get(language, WORDS[DEFAULT_LANGUAGE])
    lang = language if language in WORDS else DEFAULT_LANGUAGE
    labels = words.labels
    lines = [
        words.opening,
        "",
        f"{labels[0]}: {_day(words, facts.requested_on)}",
        f"{labels[1]}: {words.authority.get(facts.authority_kind, words.authority['other'])}",
        f"{labels[2]}: {country_name(facts.country, lang)}",
        f"{labels[3]}: {_day(words, facts.disclosed_on)}",
        f"{labels[4]}:",
        _listed(words, facts.info_types),
        "",
        words.closing,
    ]
    return words.subject, "\n".join(lines) + "\n"
