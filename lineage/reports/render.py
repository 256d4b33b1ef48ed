"""The access report as a document: one Jinja2 template, printed to PDF by WeasyPrint.

The HTML is self-contained (its CSS inline, no image, no font or script fetched), so it can be
mailed as it is, and the PDF is the same HTML laid out by WeasyPrint, a renderer needing no
browser; every URL it might be asked to fetch is refused, so rendering never touches the
network. Times are shown on the organisation's calendar, dates in the report's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NoReturn

from jinja2 import Environment, PackageLoader, select_autoescape

from lineage.domain.access_report import AccessReport
from lineage.domain.labels import Lang

_MONTHS = {
    Lang.EN: (
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
    ),
    Lang.FR: (
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
    ),
}

# The report's own sentences, per language.
TEXT: Mapping[Lang, Mapping[str, str]] = {
    Lang.EN: {
        "colon": ":",
        "title": "Your personal data: access report",
        "intro": (
            "You asked {organisation} what personal data it holds about you (Article 15 of the "
            "General Data Protection Regulation). This report lists, for each kind of data, why it "
            "is used, on which legal basis, where it came from, which systems and service providers "
            "hold it and in which country, every transfer outside the European Economic Area with "
            "the safeguard it rests on, and how long it is kept."
        ),
        "generated": "Drawn up on",
        "times": "Times are given in the {zone} time zone.",
        "request": "Request",
        "received": "received on",
        "deadline": "answer due by",
        "reference": "Your reference",
        "nobody": "We hold no personal data about you in the systems we track.",
        "your_data": "The data we hold about you",
        "where": "Where",
        "run_by": "run by",
        "stored_in": "location:",
        "purposes": "What it is used for",
        "basis": "Legal basis",
        "basis_unknown": "not recorded: ask our data protection officer",
        "origin": "Where it came from",
        "kept": "How long it is kept",
        "until": "until",
        "not_started": "the period has not started yet",
        "no_rule": "no retention period is declared: ask our data protection officer",
        "legal": "kept by law",
        "consent_withdrawn": "consent withdrawn on",
        "transfers": "Transfers outside the European Economic Area",
        "no_transfers": "None of your data is transferred outside the European Economic Area.",
        "system": "System",
        "recipient": "Recipient",
        "country": "Country",
        "data": "Data",
        "safeguard": "Safeguard",
        "document": "Document",
        "safeguard_copy": "You may obtain a copy of these safeguards from our data protection officer.",
        "consents": "Your consents",
        "given": "given on",
        "withdrawn": "withdrawn on",
        "state_withdrawn": "withdrawn",
        "state_given": "in force",
        "copy_title": "A copy of your data",
        "copy_intro": (
            "Our records say where your data is, not what it says. A copy of the data itself is "
            "asked of each of the systems below as part of your request, and sent to you with "
            "this report (Article 15(3))."
        ),
        "asked": "asked",
        "answered": "sent",
        "erased": "Data erased",
        "erased_on": "erased on",
        "rights": "Your rights",
        "exercise": "To exercise them, write to our data protection officer",
        "complaint": "You may also lodge a complaint with",
        "answer_time": (
            "We answer within one month of receiving your request; this may be extended by two "
            "further months for complex or numerous requests, in which case we tell you why."
        ),
    },
    Lang.FR: {
        "colon": "\u00a0:",
        "title": "Vos données personnelles : rapport d'accès",
        "intro": (
            "Vous avez demandé à {organisation} quelles données personnelles elle détient sur vous "
            "(article 15 du règlement général sur la protection des données). Ce rapport indique, "
            "pour chaque type de données, à quoi elles servent, sur quelle base légale, d'où elles "
            "viennent, quels systèmes et prestataires les détiennent et dans quel pays, chaque "
            "transfert hors de l'Espace économique européen avec la garantie sur laquelle il "
            "repose, et combien de temps elles sont conservées."
        ),
        "generated": "Établi le",
        "times": "Les heures sont données dans le fuseau horaire {zone}.",
        "request": "Demande",
        "received": "reçue le",
        "deadline": "réponse due au plus tard le",
        "reference": "Votre référence",
        "nobody": "Nous ne détenons aucune donnée personnelle vous concernant dans les systèmes suivis.",
        "your_data": "Les données que nous détenons sur vous",
        "where": "Où",
        "run_by": "opéré par",
        "stored_in": "localisation :",
        "purposes": "À quoi elles servent",
        "basis": "Base légale",
        "basis_unknown": "non enregistrée : interrogez notre délégué à la protection des données",
        "origin": "D'où elles viennent",
        "kept": "Durée de conservation",
        "until": "jusqu'au",
        "not_started": "la durée n'a pas encore commencé à courir",
        "no_rule": "aucune durée n'est déclarée : interrogez notre délégué à la protection des données",
        "legal": "conservées en vertu de la loi",
        "consent_withdrawn": "consentement retiré le",
        "transfers": "Transferts hors de l'Espace économique européen",
        "no_transfers": "Aucune de vos données n'est transférée hors de l'Espace économique européen.",
        "system": "Système",
        "recipient": "Destinataire",
        "country": "Pays",
        "data": "Données",
        "safeguard": "Garantie",
        "document": "Document",
        "safeguard_copy": (
            "Vous pouvez obtenir une copie de ces garanties auprès de notre délégué à la protection "
            "des données."
        ),
        "consents": "Vos consentements",
        "given": "donné le",
        "withdrawn": "retiré le",
        "state_withdrawn": "retiré",
        "state_given": "en vigueur",
        "copy_title": "Une copie de vos données",
        "copy_intro": (
            "Nos registres indiquent où se trouvent vos données, pas ce qu'elles contiennent. Une "
            "copie des données elles-mêmes est demandée à chacun des systèmes ci-dessous dans le "
            "cadre de votre demande, et vous est transmise avec ce rapport (article 15.3)."
        ),
        "asked": "demandée",
        "answered": "transmise",
        "erased": "Données effacées",
        "erased_on": "effacées le",
        "rights": "Vos droits",
        "exercise": "Pour les exercer, écrivez à notre délégué à la protection des données",
        "complaint": "Vous pouvez aussi introduire une réclamation auprès de la",
        "answer_time": (
            "Nous répondons dans un délai d'un mois à compter de la réception de votre demande ; "
            "ce délai peut être prolongé de deux mois pour des demandes complexes ou nombreuses, "
            "auquel cas nous vous en indiquons les raisons."
        ),
    },
}


def day_words(value: date | datetime | None, lang: Lang) -> str:
    """``2 March 2029`` / ``2 mars 2029``; a time's day on its own calendar (already the
    organisation's)."""
    if value is None:
        return "-"
    day = value.date() if isinstance(value, datetime) else value
    first = "1er" if lang is Lang.FR and day.day == 1 else str(day.day)
    return f"{first} {_MONTHS[lang][day.month - 1]} {day.year}"


def moment_words(value: datetime | None, lang: Lang) -> str:
    """``2 March 2029, 10:15`` / ``2 mars 2029 à 10 h 15``."""
    if value is None:
        return "-"
    if lang is Lang.FR:
        return f"{day_words(value, lang)} à {value:%H} h {value:%M}"
    return f"{day_words(value, lang)}, {value:%H:%M}"


_ENV = Environment(
    loader=PackageLoader("lineage.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: AccessReport) -> str:
    """The report as one self-contained HTML page in its language."""
    lang = report.lang
    context: dict[str, Any] = {
        "r": report,
        "t": TEXT[lang],
        "day": lambda v: day_words(v, lang),
        "moment": lambda v: moment_words(v, lang),
    }
    return _ENV.get_template("access_report.html").render(context)


def _no_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    """WeasyPrint's fetcher, refusing everything: the report is self-contained."""
    raise ValueError(f"the access report fetches nothing ({url[:40]})")


def render_pdf(report: AccessReport) -> bytes:
    """The same HTML, laid out as PDF by WeasyPrint (imported here: only PDFs need it)."""
    from weasyprint import HTML

    pdf = HTML(string=render_html(report), url_fetcher=_no_fetch).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
