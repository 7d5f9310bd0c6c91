"""Status e-mails to an agency: which events are e-mailed, to whom, and their words.

The officer named on a request and the agency's contact address get a short e-mail when the
request needs their answer, is decided, or has data ready, unless the agency turned them off.
The e-mail says which request (its id as the API shows it), its status and where to read it;
never what the request says (identifiers, names, messages): the reader signs in with the
agency's client to see more. Written in the agency's language where a template exists
(``notice_text.language_for`` of its country), English otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trustcenter.domain.notice_text import language_for
from trustcenter.domain.webhooks import EventType

#: the events an agency is e-mailed about
EMAILED: frozenset[EventType] = frozenset(
    {EventType.CLARIFICATION_REQUESTED, EventType.DECIDED, EventType.DISCLOSURE_READY}
)


@dataclass(frozen=True, slots=True)
class StatusWords:
    subjects: dict[EventType, str]
    lines: dict[EventType, str]
    request: str
    status: str
    read: str
    closing: str


WORDS: dict[str, StatusWords] = {
    "en": StatusWords(
        subjects={
            EventType.CLARIFICATION_REQUESTED: "A request needs your answer",
            EventType.DECIDED: "A request was decided",
            EventType.DISCLOSURE_READY: "Data is ready for a request",
        },
        lines={
            EventType.CLARIFICATION_REQUESTED: "The reviewers asked a question about a request "
            "of your agency. It waits for your answer.",
            EventType.DECIDED: "A request of your agency was decided.",
            EventType.DISCLOSURE_READY: "The data of a request of your agency is ready for "
            "download.",
        },
        request="Request",
        status="Status",
        read="Read it with your agency's API client at",
        closing="This message was sent automatically; your agency can turn these e-mails off "
        "(setStatusEmails).",
    ),
    "de": StatusWords(
        subjects={
            EventType.CLARIFICATION_REQUESTED: "Eine Anfrage wartet auf Ihre Antwort",
            EventType.DECIDED: "Über eine Anfrage wurde entschieden",
            EventType.DISCLOSURE_READY: "Daten zu einer Anfrage liegen bereit",
        },
        lines={
            EventType.CLARIFICATION_REQUESTED: "Zu einer Anfrage Ihrer Behörde wurde eine "
            "Rückfrage gestellt. Sie wartet auf Ihre Antwort.",
            EventType.DECIDED: "Über eine Anfrage Ihrer Behörde wurde entschieden.",
            EventType.DISCLOSURE_READY: "Die Daten zu einer Anfrage Ihrer Behörde liegen zum "
            "Abruf bereit.",
        },
        request="Anfrage",
        status="Status",
        read="Abrufbar mit dem API-Client Ihrer Behörde unter",
        closing="Diese Nachricht wurde automatisch versandt; Ihre Behörde kann diese E-Mails "
        "abbestellen (setStatusEmails).",
    ),
    "fr": StatusWords(
        subjects={
            EventType.CLARIFICATION_REQUESTED: "Une demande attend votre réponse",
            EventType.DECIDED: "Une demande a été tranchée",
            EventType.DISCLOSURE_READY: "Des données sont prêtes pour une demande",
        },
        lines={
            EventType.CLARIFICATION_REQUESTED: "Une question a été posée sur une demande de "
            "votre autorité. Elle attend votre réponse.",
            EventType.DECIDED: "Une demande de votre autorité a été tranchée.",
            EventType.DISCLOSURE_READY: "Les données d'une demande de votre autorité sont "
            "prêtes à être téléchargées.",
        },
        request="Demande",
        status="Statut",
        read="Consultez-la avec le client API de votre autorité à",
        closing="Ce message a été envoyé automatiquement ; votre autorité peut désactiver ces "
        "e-mails (setStatusEmails).",
    ),
}
DEFAULT_LANGUAGE = "en"


def language_of_agency(country: str) -> str:
    """The language of an agency's e-mails: its country's where a template exists."""
    language = language_for(country)
    return language if language in WORDS else DEFAULT_LANGUAGE


def recipients(officer_email: str | None, contact_email: str | None) -> list[str]:
    """The addresses to write to, each once (compared without case), officer first."""
    out: list[str] = []
    for address in (officer_email, contact_email):
        address = (address or "").strip()
        if address and "@" in address and address.lower() not in {a.lower() for a in out}:
            out.append(address)
    return out


def compose(
    event: EventType, language: str, request_id: str, status: str, link: str
) -> tuple[str, str]:
    """Subject and body of the e-mail about ``event`` (one of ``EMAILED``)."""
    words = WORDS.get(language, WORDS[DEFAULT_LANGUAGE])
    lines: Iterable[str] = (
        words.lines[event],
        "",
        f"{words.request}: {request_id}",
        f"{words.status}: {status}",
        f"{words.read} {link}",
        "",
        words.closing,
    )
    return words.subjects[event], "\n".join(lines) + "\n"


#: the ``event_type`` of the e-mail telling an agency its endpoint was disabled
ENDPOINT_DISABLED = "endpoint.disabled"


def endpoint_disabled(endpoint_ref: str, graphql_url: str) -> tuple[str, str]:
    """The subject and body telling an agency that the service disabled one of its webhook
    endpoints after every delivery failed for three days (English: an operational message;
    no address of the endpoint, which may carry a token)."""
    subject = "trustcenter: your webhook endpoint was disabled"
    body = (
        f"Every delivery to your webhook endpoint {endpoint_ref} failed for three days, so the "
        "service disabled it; its undelivered events are marked failed.\n\n"
        "Fix the receiver, then enable the endpoint again with updateWebhookEndpoint "
        f"(enabled: true) at {graphql_url}. Your operator contact can send failed events "
        "again.\n"
    )
    return subject, body
