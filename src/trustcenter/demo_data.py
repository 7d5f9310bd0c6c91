"""The fixed tables the demo data set is drawn from, and the fake values made from them.

:mod:`trustcenter.demo` and :mod:`trustcenter.demo_requests` decide which rows exist and how
they relate; this module says what the names, numbers and texts look like. Every name, address,
phone number and e-mail address here is fictitious or reserved for documentation: e-mail
domains end in ``example``, US numbers use 555-01xx, UK numbers 07700 900xxx, IP addresses come
from the documentation ranges.
"""

from __future__ import annotations

import random
import unicodedata
from decimal import Decimal
from typing import NamedTuple

from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.domain.submission import normalise_identifier


class AgencySeed(NamedTuple):
    key: str
    name: str
    kind: str
    country: str
    region: str | None
    domain: str
    verification: str
    ref_prefix: str
    officer_title: str
    #: (legal basis kind, issuing authority) this agency typically cites
    bases: tuple[tuple[str, str], ...] = ()


# fmt: off
LE, JUD, ADM = "law_enforcement", "judicial", "administrative"
VER, PEN, SUS = "verified", "pending", "suspended"

AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed("fbi", "Federal Bureau of Investigation — Cyber Division", LE, "US", None,
               "cyber.fbi.example", VER, "FBI-CY", "Special Agent", (
                   ("warrant", "U.S. District Court for the Northern District of California"),
                   ("court_order", "U.S. District Court for the District of Columbia"),
                   ("subpoena", "Grand Jury, U.S. District Court for the Eastern District of "
                                "Virginia"))),
    AgencySeed("lasd", "Los Angeles County Sheriff's Department — Special Victims Bureau", LE,
               "US", "US-CA", "lasd.example", VER, "LASD", "Detective", (
                   ("warrant", "Superior Court of California, County of Los Angeles"),
                   ("subpoena", "Los Angeles County District Attorney's Office"))),
    AgencySeed("nyda", "New York County District Attorney's Office", JUD, "US", "US-NY",
               "manhattanda.example", VER, "NYDA", "Assistant District Attorney", (
                   ("subpoena", "New York County Grand Jury"),
                   ("court_order", "Supreme Court of the State of New York, New York County"))),
    AgencySeed("ftc", "Federal Trade Commission — Bureau of Consumer Protection", ADM, "US",
               None, "ftc.example", VER, "FTC-CID", "Investigator", (
                   ("administrative_order", "Federal Trade Commission"),)),
    AgencySeed("lka", "Landeskriminalamt Berlin — Dezernat Cybercrime", LE, "DE", "DE-BE",
               "lka.berlin.example", VER, "LKA-BE", "Kriminalhauptkommissar", (
                   ("court_order", "Amtsgericht Tiergarten — Ermittlungsrichter"),
                   ("production_order", "Staatsanwaltschaft Berlin"))),
    AgencySeed("bka", "Bundeskriminalamt", LE, "DE", None, "bka.example", VER, "BKA",
               "Kriminaloberkommissar", (
                   ("court_order", "Bundesgerichtshof — Ermittlungsrichter"),
                   ("production_order", "Generalstaatsanwaltschaft Frankfurt am Main — ZIT"))),
    AgencySeed("stam", "Staatsanwaltschaft München I", JUD, "DE", "DE-BY",
               "sta-muenchen1.example", VER, "STA-M1", "Staatsanwalt", (
                   ("court_order", "Amtsgericht München — Ermittlungsrichter"),
                   ("production_order", "Staatsanwaltschaft München I"))),
    AgencySeed("ofac", "Office anti-cybercriminalité (OFAC)", LE, "FR", None,
               "ofac.interieur.example", VER, "OFAC", "Capitaine de police", (
                   ("production_order", "Parquet de Paris — section J3 (cybercriminalité)"),
                   ("court_order", "Tribunal judiciaire de Paris — juge d'instruction"))),
    AgencySeed("dgccrf", "DGCCRF — Service national des enquêtes", ADM, "FR", None,
               "dgccrf.example", VER, "DGCCRF", "Inspectrice", (
                   ("administrative_order", "Direction générale de la concurrence, de la "
                                            "consommation et de la répression des fraudes"),)),
    AgencySeed("met", "Metropolitan Police Service — Cyber Crime Unit", LE, "GB", None,
               "met.police.example", VER, "MPS", "Detective Constable", (
                   ("production_order", "Westminster Magistrates' Court"),
                   ("court_order", "Crown Court at Southwark"))),
    AgencySeed("nca", "National Crime Agency", LE, "GB", None, "nca.example", VER, "NCA",
               "NCA Officer", (
                   ("warrant", "Investigatory Powers Commissioner's Office"),
                   ("production_order", "Crown Court at Birmingham"))),
    AgencySeed("hkpf", "Hong Kong Police Force — Cyber Security and Technology Crime Bureau",
               LE, "HK", None, "cstcb.hkpf.example", VER, "CSTCB", "Senior Inspector", (
                   ("warrant", "Eastern Magistrates' Courts"),
                   ("production_order", "District Court of the HKSAR"))),
    AgencySeed("szpsb", "Shenzhen Municipal Public Security Bureau — Cyber Security Division", LE,
               "CN", "CN-GD", "szga.example", VER, "SZGA", "Police Inspector", (
                   ("mutual_legal_assistance", "Ministry of Justice of the People's Republic of "
                                               "China — Central Authority"),
                   ("administrative_order", "Shenzhen Municipal Public Security Bureau"))),
    AgencySeed("pf", "Polícia Federal — Diretoria de Combate a Crimes Cibernéticos", LE, "BR",
               None, "pf.example", VER, "PF-CIBER", "Delegado de Polícia Federal", (
                   ("court_order", "Justiça Federal — 10ª Vara Federal Criminal do DF"),
                   ("court_order", "Tribunal Regional Federal da 3ª Região"))),
    AgencySeed("i4c", "Indian Cyber Crime Coordination Centre (I4C)", LE, "IN", None,
               "i4c.example", VER, "I4C", "Deputy Superintendent of Police", (
                   ("production_order", "Cyber Crime Police Station, Bengaluru City"),
                   ("court_order", "Court of the Chief Metropolitan Magistrate, Delhi"))),
    AgencySeed("politie", "Politie — Team High Tech Crime", LE, "NL", None, "politie.example",
               VER, "THTC", "Digitaal rechercheur", (
                   ("court_order", "Rechtbank Rotterdam — rechter-commissaris"),
                   ("production_order", "Openbaar Ministerie — Landelijk Parket"))),
    AgencySeed("pcsp", "Polícia Civil do Estado de São Paulo — DCCiber", LE, "BR", "BR-SP",
               "pcsp.example", PEN, "DCCIBER", "Investigador"),
    AgencySeed("mhcyber", "Maharashtra Cyber — Mumbai Cyber Police", LE, "IN", "IN-MH",
               "mahacyber.example", PEN, "MHC", "Police Inspector"),
    AgencySeed("tmpd", "Tokyo Metropolitan Police Department — Cybercrime Control Division", LE,
               "JP", None, "tmpd.example", SUS, "TMPD", "Assistant Inspector"),
)

#: How many requests (revisions not counted) each verified agency sends; sums to 57.
REQUEST_QUOTA: dict[str, int] = {
    "fbi": 7, "lasd": 5, "nyda": 4, "ftc": 2, "lka": 6, "bka": 3, "stam": 3, "ofac": 4,
    "dgccrf": 1, "met": 5, "nca": 3, "hkpf": 3, "szpsb": 2, "pf": 4, "i4c": 3, "politie": 2,
}

#: (status, how many, how many of them emergencies) for the requests that are not revisions;
#: sums to 57
STATUS_PLAN: tuple[tuple[str, int, int], ...] = (
    ("received", 4, 0), ("in_review", 5, 1), ("clarification_requested", 4, 0),
    ("approved", 4, 1), ("partially_approved", 4, 0), ("objected", 3, 0), ("rejected", 4, 1),
    ("disclosed", 5, 1), ("closed", 18, 2), ("withdrawn", 3, 0), ("superseded", 3, 0),
)
#: the status of the revision that replaces each superseded request
REVISION_STATUSES = ("closed", "disclosed", "in_review")

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("James", "Emily", "Michael", "Olivia", "Daniel", "Sophia", "Ryan", "Ava", "Marcus"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Poppy", "Callum", "Freya"),
    "DE": ("Lukas", "Lena", "Jonas", "Hannah", "Felix", "Marie", "Tobias", "Katrin"),
    "FR": ("Louis", "Camille", "Hugo", "Chloe", "Julien", "Manon", "Theo", "Ines"),
    "BR": ("Joao", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Rafael", "Larissa"),
    "IN": ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Meera"),
    "CN": ("Wei", "Fang", "Hao", "Jing", "Lei", "Xiaoyu", "Jun", "Mei"),
    "HK": ("Ka Ho", "Wing Yan", "Chun Kit", "Hoi Ying", "Tsz Hin", "Sze Man"),
    "NL": ("Daan", "Sanne", "Bram", "Lotte", "Thijs", "Femke"),
    "JP": ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("Miller", "Johnson", "Garcia", "Brooks", "Nguyen", "Carter", "Reyes", "Patel"),
    "GB": ("Smith", "Walker", "Hughes", "Evans", "Turner", "Clarke", "Khan"),
    "DE": ("Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Krause"),
    "FR": ("Martin", "Bernard", "Dubois", "Lefevre", "Moreau", "Laurent", "Girard"),
    "BR": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida"),
    "IN": ("Sharma", "Iyer", "Reddy", "Gupta", "Nair", "Mehta", "Kapoor"),
    "CN": ("Wang", "Li", "Zhang", "Liu", "Chen", "Zhao", "Huang"),
    "HK": ("Chan", "Wong", "Lau", "Cheung", "Leung", "Ho"),
    "NL": ("de Jong", "Jansen", "Visser", "Bakker", "Smit"),
    "JP": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe"),
}
#: account regions and how often they occur among the users
ACCOUNT_REGIONS: dict[str, int] = {
    "US": 10, "GB": 5, "DE": 6, "FR": 4, "BR": 3, "IN": 3, "CN": 2, "HK": 3, "NL": 2, "JP": 2,
}
LANGUAGE = {"US": "en", "GB": "en", "IN": "en", "DE": "de", "FR": "fr", "BR": "pt", "CN": "zh",
            "HK": "zh", "NL": "nl", "JP": "ja"}
#: '#' is replaced by a random digit; every template gives a possible number in E.164
PHONES = {
    "US": ("+121255501##", "+141555501##", "+131255501##", "+120655501##"),
    "GB": ("+447700900###",), "DE": ("+49151########", "+49170#######"),
    "FR": ("+3363998####",), "BR": ("+55119########",), "IN": ("+9198########",),
    "CN": ("+86138########",), "HK": ("+8525#######", "+8529#######"),
    "NL": ("+316########",), "JP": ("+8190########",),
}
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
CURRENCY = {"US": ("USD", 1.0), "GB": ("GBP", 0.79), "DE": ("EUR", 0.92), "FR": ("EUR", 0.92),
            "NL": ("EUR", 0.92), "BR": ("BRL", 5.4), "IN": ("INR", 84.0), "CN": ("CNY", 7.2),
            "HK": ("HKD", 7.8), "JP": ("JPY", 150.0)}
PAYMENT = {
    "US": ("Visa •••• 4242", "Mastercard •••• 4444", "PayPal", "Apple Pay"),
    "GB": ("Visa •••• 1881", "PayPal", "Apple Pay"),
    "DE": ("PayPal", "SEPA direct debit", "Klarna"),
    "FR": ("Carte Bancaire •••• 3155", "PayPal"), "NL": ("iDEAL", "PayPal"),
    "BR": ("Pix", "Mastercard •••• 5454"), "IN": ("UPI", "RuPay •••• 6521"),
    "CN": ("Alipay", "WeChat Pay"), "HK": ("Octopus", "Visa •••• 4000", "Alipay HK"),
    "JP": ("JCB •••• 3530", "PayPay"),
}
ADDRESSES = {
    "US": "{n} Example Street, Apt {a}, San Jose, CA 95112, United States",
    "GB": "{n} Sample Road, Manchester M1 1AE, United Kingdom",
    "DE": "Musterstraße {n}, 10115 Berlin, Germany",
    "FR": "{n} rue de l'Exemple, 75011 Paris, France",
    "NL": "Voorbeeldstraat {n}, 1012 AB Amsterdam, Netherlands",
    "BR": "Rua Exemplo, {n}, São Paulo - SP, 01310-100, Brazil",
    "IN": "{n}, Sample Nagar, Bengaluru 560001, India",
    "CN": "Example Road No. {n}, Nanshan District, Shenzhen 518000, China",
    "HK": "Flat {a}, {n} Sample Street, Mong Kok, Kowloon, Hong Kong",
    "JP": "{n}-1 Sample-cho, Shibuya-ku, Tokyo 150-0001, Japan",
}
BACKGROUNDS = (
    "Registered in the iOS app; two-factor authentication enabled.",
    "Registered in the Android app; shares two devices with a family member.",
    "Registered on the web portal; marketing e-mails declined.",
    "Migrated from the legacy account system in 2022.",
    "Registered in the Android app; password last reset eight months ago.",
    "Installer account: manages devices at a small office.",
)

#: (product name, model, serial prefix)
PRODUCTS = (
    ("Indoor Pan/Tilt Camera 2K", "C6N-2K", "C6"), ("Outdoor Camera Pro 4MP", "C8W-PRO", "C8"),
    ("Battery Camera Eco", "BC1-ECO", "BC"), ("Floodlight Camera", "FL2-3K", "FL"),
    ("Video Doorbell 2K", "DB2-2K", "DB"), ("Wireless Video Doorbell", "DB1C", "DC"),
    ("Smart Lock Touch", "DL03-FP", "DL"), ("Smart Lock Wi-Fi", "DL05-W", "DW"),
    ("Baby Monitor Camera", "BM1", "BM"),
)
SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
NETWORKS = ("Wi-Fi 2.4 GHz", "Wi-Fi 2.4 GHz", "Wi-Fi 5 GHz", "Ethernet (PoE)")
ROUTERS = ("TP-Link Archer C6", "AVM FRITZ!Box 7590", "Netgear Nighthawk RAX50",
           "ASUS RT-AX58U", "Xiaomi AX3000", "Huawei WiFi AX3", "Google Nest Wifi",
           "Vodafone Station", "Livebox 6")
CLIENT_DEVICES = ("iPhone 15 Pro", "iPhone 13", "iPhone 12 mini", "Samsung Galaxy S24",
                  "Samsung Galaxy A54", "Google Pixel 8", "Xiaomi 14", "Huawei Mate 60",
                  "OnePlus 12", "iPad Air (M2)", "Web (Chrome on Windows)")
#: oldest first; events use the version current at their time
APP_VERSIONS = ("6.8.2", "6.9.0", "6.9.4", "7.0.1", "7.1.0", "7.2.3", "7.3.0")

#: (goods, price in US dollars, shipped)
GOODS = (
    ("CloudPlay Basic — 30-day video history, annual plan", 49.99, False),
    ("CloudPlay Plus — 60-day video history, annual plan, up to 10 cameras", 99.99, False),
    ("CloudPlay Basic — monthly plan", 4.99, False),
    ("Indoor Pan/Tilt Camera 2K (C6N-2K), pack of 2", 79.98, True),
    ("Video Doorbell 2K (DB2-2K) with chime", 89.99, True),
    ("Smart Lock Touch (DL03-FP), satin nickel", 189.00, True),
    ("microSD card 128 GB", 17.99, True),
    ("Solar panel for Battery Camera Eco", 39.99, True),
)
SUPPORT = {
    "questionnaire": (
        "Setup survey: installation took about 15 minutes; app onboarding rated 4/5.",
        "Satisfaction survey: would recommend the doorbell to a friend (8/10).",
        "Churn survey: considering cancelling CloudPlay because of the price.",
    ),
    "rating": (
        "Rated the support chat 5/5: 'Quick answer, camera back online.'",
        "Rated the support chat 2/5: 'Had to explain the problem three times.'",
        "Rated the app 4/5 in the in-app prompt.",
    ),
    "feedback": (
        "Night vision picture is grainy since the last firmware update.",
        "Please add a setting to mute motion alerts while I am at home.",
        "Smart lock battery warning appears too late; lock died after two days.",
    ),
    "after_sales": (
        "Warranty claim: doorbell without power after a storm; unit replaced, RMA closed.",
        "Return within 30 days: camera did not fit the window mount; refund issued.",
        "Replacement fingerprint module sent for the smart lock; customer confirmed fix.",
    ),
}

REASONS = {
    "account": (
        "Investigation of a series of residential burglaries; the account holder is a suspect "
        "and the account's login history may place them near the scene.",
        "Online fraud: the account e-mail was used to register fake marketplace listings.",
        "Harassment and stalking complaint; the suspect is believed to control this account.",
        "Investigation of an extortion attempt sent from an address linked to this account.",
    ),
    "product": (
        "Burglary at the victim's home; the doorbell may have recorded the suspects' arrival.",
        "Stolen camera recovered during a search; we need to identify the registered owner.",
        "Hit-and-run outside the premises; establishing whether the outdoor camera was online.",
    ),
    "transaction": (
        "Payment fraud with stolen cards; the orders may identify the delivery address used.",
        "Money-laundering investigation; purchase history needed to trace the suspect's cards.",
    ),
}
EMERGENCY_DESCRIPTIONS = (
    "A 9-year-old child has been missing since 07:40 this morning; the last sighting was next to "
    "the subscriber's address. Device and login data may show the direction of travel.",
    "Credible threat of suicide posted by the account holder one hour ago; we need the current "
    "location indicators to send an ambulance.",
    "Kidnapping in progress: the victim's family received a ransom demand from this account.",
    "Bomb threat against a school sent from an IP address linked to this account today.",
)
EXPLANATIONS = {
    "not_held": "We hold no account, product or order that matches this identifier.",
    "not_premium": "This account never used a premium service, so we hold no transaction "
                   "records for it and the policy does not allow providing them.",
    "no_legal_basis": "The document provided does not compel us to produce this information; "
                      "please send an order issued by a competent court.",
    "jurisdiction": "The order was issued outside the jurisdiction where the data is held; "
                    "please route the request through the mutual legal assistance process.",
    "overbroad": "The time range and scope are wider than the stated investigation justifies.",
    "third_party_harm": "Disclosing these records would expose people who are not subjects of "
                        "the investigation (other household members).",
    "unclear": "Please state the date of the incident and how this target relates to it, so "
               "that we can limit the time range accordingly.",
}

#: (min, max) age in days of requests that are still in these statuses; the rest are older
OPEN_AGE = {
    "received": (0.05, 4), "in_review": (2, 20), "clarification_requested": (6, 28),
    "approved": (3, 12), "partially_approved": (3, 14), "objected": (7, 120),
    "rejected": (7, 120), "disclosed": (3, 90),
}
#: how the items of a request in this status were decided (disclosed and closed ones vary;
#: "none": not decided, "partial": one item refused or narrowed and the rest approved)
DECIDED = {
    "received": "none", "in_review": "none", "withdrawn": "none",
    "clarification_requested": "question", "superseded": "question", "approved": "approve",
    "partially_approved": "partial", "objected": "object", "rejected": "reject",
}
DISCLOSED_PATHS = ("approve", "approve", "partial")
CLOSED_PATHS = ("approve", "approve", "approve", "partial", "reject", "object")
#: reason codes a reviewer picks when refusing one item, objecting to or rejecting a request
REFUSE_CODES = ("overbroad", "third_party_harm", "no_legal_basis")
OBJECT_CODES = ("overbroad", "third_party_harm", "jurisdiction")
REJECT_CODES = ("no_legal_basis", "jurisdiction", "unclear")
QUESTION_CODES = ("unclear", "unclear", "overbroad")
NARROWED = ("Narrowed to the 90 days up to {until:%d %B %Y}: the request does not explain why a "
            "longer period of usage records is needed.")
EMERGENCY_REASON = (
    "Imminent danger to life or of serious physical injury; see the emergency description."
)
#: the legal basis document: a small but well-formed PDF
DOCUMENT = (
    "%PDF-1.4\n% trustcenter demo document\n1 0 obj\n<< /Type /Catalog /Title ({reference}) "
    "/Author ({issued_by}) /CreationDate (D:{issued:%Y%m%d}) >>\nendobj\ntrailer\n"
    "<< /Root 1 0 R >>\n%EOF\n"
)
# fmt: on


def ascii_name(text: str) -> str:
    """``"João"`` -> ``"joao"``, ``"de Jong"`` -> ``"dejong"``: for user names and e-mail."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "")


def person(rng: random.Random, region: str) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES[region]), rng.choice(LAST_NAMES[region])


def officer(rng: random.Random, agency: AgencySeed) -> tuple[str, str, str]:
    """Name, e-mail and phone of an officer who signs the agency's requests."""
    first, last = person(rng, agency.country)
    email = f"{ascii_name(first)[0]}.{ascii_name(last)}@{agency.domain}"
    return f"{first} {last}", email, phone(rng, agency.country)


def address(rng: random.Random, region: str) -> str:
    return ADDRESSES[region].format(n=rng.randint(1, 250), a=rng.randint(1, 40))


def price(usd: float, region: str) -> tuple[Decimal, str]:
    """The local price of goods that cost ``usd`` US dollars, and its currency."""
    currency, rate = CURRENCY[region]
    amount = Decimal(f"{usd * rate:.{0 if currency == 'JPY' else 2}f}")
    return amount.quantize(Decimal("0.01")), currency


def username(rng: random.Random, region: str) -> str:
    first, last = (ascii_name(n) for n in person(rng, region))
    digits = rng.randint(10, 99)
    styles = (f"{first}.{last}", f"{first}{last[0]}{digits}", f"{first[0]}{last}")
    return rng.choice((*styles, f"{last}_{first}{digits % 10}"))


def email(rng: random.Random, local: str) -> str:
    digits = str(rng.randint(1, 99)) if rng.random() < 0.4 else ""
    raw = f"{local}{digits}@{rng.choice(EMAIL_DOMAINS)}"
    return normalise_identifier(IdentifierType.EMAIL, raw) or raw


def phone(rng: random.Random, region: str) -> str:
    """A possible number of the region in E.164, as the service normalises it."""
    raw = "".join(str(rng.randint(0, 9)) if c == "#" else c for c in rng.choice(PHONES[region]))
    return normalise_identifier(IdentifierType.PHONE, raw) or raw


def serial(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(SERIAL_CHARS, k=rng.randint(7, 10)))


def ip_address(rng: random.Random) -> str:
    """An address from the ranges reserved for documentation (RFC 5737, RFC 3849)."""
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randint(1, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


def not_held(rng: random.Random) -> tuple[IdentifierType, str, tuple[InfoType, ...]]:
    """A target the company holds nothing about, and what the agency asks of it."""
    first, last = (ascii_name(n) for n in person(rng, "US"))
    return rng.choice((
        (IdentifierType.EMAIL, f"{first}.{last}@inbox.example.org", (InfoType.A, InfoType.C)),
        (IdentifierType.PHONE, phone(rng, "GB"), (InfoType.A, InfoType.C)),
        (IdentifierType.SERIAL_NUMBER, serial(rng, "ZX"), (InfoType.B, InfoType.C)),
    ))  # fmt: skip
