"""The user notice's texts, one table per language: the subject, the opening and closing
paragraphs, the labels of the facts, and the words for authorities, information types and
months. Which language a user gets, and how a notice is put together, are decided in
``trustcenter.domain.notice_text``."""

from __future__ import annotations

from dataclasses import dataclass

#: the language of the notice when there is no template for the user's
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Words:
    subject: str
    opening: str
    labels: tuple[str, str, str, str, str]  # requested on, by, country, provided on, provided
    closing: str
    authority: dict[str, str]
    info: dict[str, str]
    months: list[str]
    date_format: str  # {d} {month} {y}


WORDS: dict[str, Words] = {
    "en": Words(
        subject="A government authority received information about you",
        opening=(
            "We promised to tell you when we give information about you to a government "
            "authority. This is that notice."
        ),
        labels=(
            "Requested on",
            "Requested by",
            "Country of the authority",
            "Provided on",
            "Information provided",
        ),
        closing=(
            "We check every request against our published policy and provide only what the law "
            "requires and the policy allows. This request is counted in our yearly transparency "
            "report. If you have questions, reply to this message."
        ),
        authority={
            "law_enforcement": "a law-enforcement agency",
            "judicial": "a court",
            "administrative": "an administrative authority",
            "other": "a government authority",
        },
        info={
            "A": "account information",
            "B": "product information",
            "C": "usage information",
            "D": "shopping or transaction records",
            "E": "customer-service information",
        },
        months=[
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        date_format="{d} {month} {y}",
    ),
    "de": Words(
        subject="Eine Behörde hat Informationen über Sie erhalten",
        opening=(
            "Wir haben zugesagt, Sie zu informieren, wenn wir Informationen über Sie an eine "
            "staatliche Stelle herausgeben. Dies ist diese Benachrichtigung."
        ),
        labels=(
            "Angefordert am",
            "Angefordert von",
            "Land der Behörde",
            "Herausgegeben am",
            "Herausgegebene Informationen",
        ),
        closing=(
            "Wir prüfen jede Anfrage anhand unserer veröffentlichten Richtlinie und geben nur "
            "heraus, was das Gesetz verlangt und die Richtlinie erlaubt. Diese Anfrage wird in "
            "unserem jährlichen Transparenzbericht gezählt. Bei Fragen antworten Sie bitte auf "
            "diese Nachricht."
        ),
        authority={
            "law_enforcement": "einer Strafverfolgungsbehörde",
            "judicial": "einem Gericht",
            "administrative": "einer Verwaltungsbehörde",
            "other": "einer Behörde",
        },
        info={
            "A": "Kontoinformationen",
            "B": "Produktinformationen",
            "C": "Nutzungsinformationen",
            "D": "Einkaufs- oder Transaktionsdaten",
            "E": "Kundendienstinformationen",
        },
        months=[
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        date_format="{d}. {month} {y}",
    ),
    "fr": Words(
        subject="Une autorité publique a reçu des informations vous concernant",
        opening=(
            "Nous nous sommes engagés à vous prévenir lorsque nous communiquons des informations "
            "vous concernant à une autorité publique. Voici cet avis."
        ),
        labels=(
            "Demandé le",
            "Demandé par",
            "Pays de l'autorité",
            "Communiqué le",
            "Informations communiquées",
        ),
        closing=(
            "Nous examinons chaque demande au regard de notre politique publiée et ne "
            "communiquons que ce que la loi exige et que la politique permet. Cette demande est "
            "comptée dans notre rapport de transparence annuel. Pour toute question, répondez à "
            "ce message."
        ),
        authority={
            "law_enforcement": "un service de police ou de justice pénale",
            "judicial": "un tribunal",
            "administrative": "une autorité administrative",
            "other": "une autorité publique",
        },
        info={
            "A": "informations de compte",
            "B": "informations sur les produits",
            "C": "informations d'utilisation",
            "D": "historique d'achats ou de transactions",
            "E": "informations du service client",
        },
        months=[
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        date_format="{d} {month} {y}",
    ),
    "es": Words(
        subject="Una autoridad pública recibió información sobre usted",
        opening=(
            "Nos comprometimos a avisarle cuando entreguemos información sobre usted a una "
            "autoridad pública. Este es ese aviso."
        ),
        labels=(
            "Solicitado el",
            "Solicitado por",
            "País de la autoridad",
            "Entregado el",
            "Información entregada",
        ),
        closing=(
            "Revisamos cada solicitud según nuestra política publicada y solo entregamos lo que "
            "la ley exige y la política permite. Esta solicitud se cuenta en nuestro informe "
            "anual de transparencia. Si tiene preguntas, responda a este mensaje."
        ),
        authority={
            "law_enforcement": "una autoridad policial",
            "judicial": "un tribunal",
            "administrative": "una autoridad administrativa",
            "other": "una autoridad pública",
        },
        info={
            "A": "información de la cuenta",
            "B": "información del producto",
            "C": "información de uso",
            "D": "registros de compras o transacciones",
            "E": "información de atención al cliente",
        },
        months=[
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        date_format="{d} de {month} de {y}",
    ),
    "pt": Words(
        subject="Uma autoridade pública recebeu informações sobre você",
        opening=(
            "Prometemos avisar você quando fornecermos informações a seu respeito a uma "
            "autoridade pública. Este é esse aviso."
        ),
        labels=(
            "Solicitado em",
            "Solicitado por",
            "País da autoridade",
            "Fornecido em",
            "Informações fornecidas",
        ),
        closing=(
            "Analisamos cada pedido de acordo com nossa política publicada e fornecemos apenas o "
            "que a lei exige e a política permite. Este pedido é contado em nosso relatório "
            "anual de transparência. Se tiver dúvidas, responda a esta mensagem."
        ),
        authority={
            "law_enforcement": "uma autoridade policial",
            "judicial": "um tribunal",
            "administrative": "uma autoridade administrativa",
            "other": "uma autoridade pública",
        },
        info={
            "A": "informações da conta",
            "B": "informações do produto",
            "C": "informações de uso",
            "D": "registros de compras ou transações",
            "E": "informações de atendimento ao cliente",
        },
        months=[
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        date_format="{d} de {month} de {y}",
    ),
    "nl": Words(
        subject="Een overheidsinstantie heeft gegevens over u ontvangen",
        opening=(
            "We hebben beloofd u te laten weten wanneer we gegevens over u aan een "
            "overheidsinstantie verstrekken. Dit is dat bericht."
        ),
        labels=(
            "Gevraagd op",
            "Gevraagd door",
            "Land van de instantie",
            "Verstrekt op",
            "Verstrekte gegevens",
        ),
        closing=(
            "We toetsen elk verzoek aan ons gepubliceerde beleid en verstrekken alleen wat de "
            "wet vereist en het beleid toestaat. Dit verzoek telt mee in ons jaarlijkse "
            "transparantieverslag. Hebt u vragen, beantwoord dan dit bericht."
        ),
        authority={
            "law_enforcement": "een opsporingsinstantie",
            "judicial": "een rechtbank",
            "administrative": "een bestuursorgaan",
            "other": "een overheidsinstantie",
        },
        info={
            "A": "accountgegevens",
            "B": "productgegevens",
            "C": "gebruiksgegevens",
            "D": "aankoop- of transactiegegevens",
            "E": "klantenservicegegevens",
        },
        months=[
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        date_format="{d} {month} {y}",
    ),
}
LANGUAGES = tuple(WORDS)
