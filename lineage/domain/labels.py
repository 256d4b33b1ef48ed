"""What a person reads instead of lineage's keys: categories, purposes, legal bases, rights and
retention promises in plain French and English.

An access report (GDPR Art. 12(1): "concise, transparent, intelligible") cannot show
``user.contact.email`` or ``last_contact``. Every fideslang data category and data use has a
label in both languages here (a unit test holds the tables complete), and a retention rule's
promise is put in words from the rule itself, so the report says what the policy promised:
"3 years after the last contact", "3 ans après le dernier contact". Pure.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from types import MappingProxyType

import pycountry

from lineage.domain.catalog import Clock, Duration, RetentionRule, RetentionTrigger, Whichever
from lineage.domain.events import LegalBasis


class Lang(StrEnum):
    """The languages a report is written in."""

    FR = "fr"
    EN = "en"


def default_lang(country: str | None) -> Lang:
    """French for an organisation established in France, English otherwise."""
    return Lang.FR if country == "FR" else Lang.EN


# key -> (English, French). Labels say what the data is, as a person would name it.
CATEGORY_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "system": ("System data", "Données techniques du système"),
        "system.authentication": ("Authentication data", "Données d'authentification"),
        "system.operations": ("Operations data", "Données d'exploitation"),
        "user": ("Data about you", "Données vous concernant"),
        "user.account": ("Account information", "Informations de compte"),
        "user.account.settings": ("Account settings", "Paramètres de compte"),
        "user.account.username": ("Username", "Identifiant de connexion"),
        "user.authorization": ("Access rights", "Droits d'accès"),
        "user.authorization.credentials": ("Account credentials", "Identifiants de connexion"),
        "user.authorization.biometric": ("Biometric credentials", "Identifiants biométriques"),
        "user.authorization.password": ("Password", "Mot de passe"),
        "user.behavior": (
            "How you interact with our messages and services (opens, clicks)",
            "Vos interactions avec nos messages et services (ouvertures, clics)",
        ),
        "user.behavior.browsing_history": ("Browsing history", "Historique de navigation"),
        "user.behavior.media_consumption": ("Media consumption", "Consultation de contenus"),
        "user.behavior.purchase_history": ("Purchase history", "Historique d'achats"),
        "user.behavior.search_history": ("Search history", "Historique de recherche"),
        "user.biometric": ("Biometric data", "Données biométriques"),
        "user.biometric.fingerprint": ("Fingerprint", "Empreinte digitale"),
        "user.biometric.retinal": ("Retina scan", "Image de la rétine"),
        "user.biometric.voice": ("Voice recording", "Enregistrement de la voix"),
        "user.biometric.health": ("Biometric health data", "Données biométriques de santé"),
        "user.childrens": ("Data about children", "Données concernant des enfants"),
        "user.contact": ("Contact details", "Coordonnées"),
        "user.contact.address": ("Postal address", "Adresse postale"),
        "user.contact.address.city": ("City", "Ville"),
        "user.contact.address.country": ("Country of residence", "Pays de résidence"),
        "user.contact.address.postal_code": ("Postal code", "Code postal"),
        "user.contact.address.state": ("Region or state", "Région ou État"),
        "user.contact.address.street": ("Street address", "Adresse (rue)"),
        "user.contact.email": ("E-mail address", "Adresse e-mail"),
        "user.contact.phone_number": ("Phone number", "Numéro de téléphone"),
        "user.contact.url": ("Website or social media profile", "Site web ou profil sur les réseaux sociaux"),
        "user.contact.fax_number": ("Fax number", "Numéro de fax"),
        "user.contact.organization": ("Company or organisation", "Entreprise ou organisation"),
        "user.content": ("Content you provided", "Contenus que vous avez fournis"),
        "user.content.private": ("Private documents and messages", "Documents et messages privés"),
        "user.content.private.cv": ("CV (résumé)", "CV"),
        "user.content.private.cover_letter": ("Cover letter", "Lettre de motivation"),
        "user.content.public": ("Content you published", "Contenus que vous avez publiés"),
        "user.content.self_image": ("Photograph of you", "Photographie de vous"),
        "user.criminal_history": ("Criminal records", "Antécédents judiciaires"),
        "user.demographic": ("Demographic data", "Données démographiques"),
        "user.demographic.age_range": ("Age range", "Tranche d'âge"),
        "user.demographic.date_of_birth": ("Date of birth", "Date de naissance"),
        "user.demographic.gender": ("Gender", "Genre"),
        "user.demographic.language": ("Language", "Langue"),
        "user.demographic.marital_status": ("Marital status", "Situation familiale"),
        "user.demographic.political_opinion": ("Political opinions", "Opinions politiques"),
        "user.demographic.profile": ("Profile information", "Informations de profil"),
        "user.demographic.race_ethnicity": ("Racial or ethnic origin", "Origine raciale ou ethnique"),
        "user.demographic.religious_belief": ("Religious beliefs", "Convictions religieuses"),
        "user.demographic.sexual_orientation": ("Sexual orientation", "Orientation sexuelle"),
        "user.device": ("Device data", "Données de votre appareil"),
        "user.device.cookie": ("Cookies on your device", "Cookies déposés sur votre appareil"),
        "user.device.cookie_id": ("Cookie identifier", "Identifiant de cookie"),
        "user.device.device_id": ("Device identifier", "Identifiant de l'appareil"),
        "user.device.ip_address": ("IP address", "Adresse IP"),
        "user.financial": (
            "Financial data (invoices, payments)",
            "Données financières (factures, paiements)",
        ),
        "user.financial.bank_account": ("Bank account details", "Coordonnées bancaires"),
        "user.financial.credit_card": ("Payment card details", "Données de carte de paiement"),
        "user.government_id": ("Official identity documents", "Pièces d'identité officielles"),
        "user.government_id.birth_certificate": ("Birth certificate", "Acte de naissance"),
        "user.government_id.drivers_license_number": (
            "Driving licence number",
            "Numéro de permis de conduire",
        ),
        "user.government_id.immigration": ("Immigration document", "Titre de séjour"),
        "user.government_id.national_identification_number": (
            "National identification number",
            "Numéro d'identification national",
        ),
        "user.government_id.passport_number": ("Passport number", "Numéro de passeport"),
        "user.government_id.vehicle_registration": (
            "Vehicle registration",
            "Immatriculation du véhicule",
        ),
        "user.health_and_medical": ("Health data", "Données de santé"),
        "user.health_and_medical.genetic": ("Genetic data", "Données génétiques"),
        "user.health_and_medical.insurance_beneficiary_id": (
            "Health insurance number",
            "Numéro d'assurance maladie",
        ),
        "user.health_and_medical.record_id": ("Medical record number", "Numéro de dossier médical"),
        "user.job_title": ("Job title", "Fonction"),
        "user.location": ("Location", "Localisation"),
        "user.location.imprecise": ("Approximate location", "Localisation approximative"),
        "user.location.precise": ("Precise location", "Localisation précise"),
        "user.name": ("Name", "Nom et prénom"),
        "user.name.first": ("First name", "Prénom"),
        "user.name.last": ("Last name", "Nom"),
        "user.payment": ("Payment data", "Données de paiement"),
        "user.privacy_preferences": ("Privacy choices (consents, opt-outs)", "Choix de confidentialité"),
        "user.sensor": ("Sensor data", "Données de capteurs"),
        "user.social": ("Social network data", "Données de réseaux sociaux"),
        "user.telemetry": ("Usage measurements", "Mesures d'utilisation"),
        "user.unique_id": ("Unique identifier", "Identifiant unique"),
        "user.unique_id.pseudonymous": ("Pseudonymous identifier", "Identifiant pseudonyme"),
        "user.user_sensor": ("Data from your device's sensors", "Données des capteurs de votre appareil"),
        "user.workplace": ("Employer", "Employeur"),
    }
)

PURPOSE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "analytics": ("Statistics", "Statistiques"),
        "analytics.reporting": ("Audience statistics", "Statistiques d'audience"),
        "analytics.reporting.ad_performance": (
            "Measuring advertising performance",
            "Mesure de la performance publicitaire",
        ),
        "analytics.reporting.content_performance": (
            "Measuring how our content performs",
            "Mesure de l'audience de nos contenus",
        ),
        "analytics.reporting.campaign_insights": (
            "Measuring our campaigns",
            "Mesure de nos campagnes",
        ),
        "analytics.reporting.system": ("Measuring system activity", "Mesure de l'activité du système"),
        "analytics.reporting.system.performance": (
            "Measuring system performance",
            "Mesure des performances du système",
        ),
        "collect": ("Collecting data", "Collecte de données"),
        "employment": ("Employment", "Emploi"),
        "employment.recruitment": ("Recruitment", "Recrutement"),
        "essential": ("Providing our services", "Fourniture de nos services"),
        "essential.fraud_detection": ("Fraud prevention", "Prévention de la fraude"),
        "essential.legal_obligation": ("Complying with the law", "Respect de nos obligations légales"),
        "essential.service": ("Providing our services", "Fourniture de nos services"),
        "essential.service.authentication": ("Signing you in", "Authentification"),
        "essential.service.notifications": ("Service messages", "Messages liés au service"),
        "essential.service.notifications.email": (
            "Service e-mails (confirmations, invoices, notifications)",
            "E-mails liés au service (confirmations, factures, notifications)",
        ),
        "essential.service.notifications.sms": ("Service text messages", "SMS liés au service"),
        "essential.service.operations": ("Running our services", "Fonctionnement de nos services"),
        "essential.service.operations.support": ("Customer support", "Assistance aux utilisateurs"),
        "essential.service.operations.improve": (
            "Improving our support",
            "Amélioration de notre assistance",
        ),
        "essential.service.payment_processing": ("Processing payments", "Traitement des paiements"),
        "essential.service.security": (
            "Security of our website and services",
            "Sécurité de notre site et de nos services",
        ),
        "essential.service.upgrades": ("Service upgrades", "Mises à jour du service"),
        "finance": ("Invoicing and accounting", "Facturation et comptabilité"),
        "functional": ("Website features", "Fonctionnalités du site"),
        "functional.service": ("Service features", "Fonctionnalités du service"),
        "functional.service.improve": ("Improving our services", "Amélioration de nos services"),
        "functional.storage": ("Storage on your device", "Stockage sur votre appareil"),
        "functional.storage.privacy_preferences": (
            "Remembering your privacy choices",
            "Mémorisation de vos choix de confidentialité",
        ),
        "marketing": ("Marketing", "Prospection commerciale"),
        "marketing.advertising": ("Advertising", "Publicité"),
        "marketing.advertising.first_party": ("Our own advertising", "Notre propre publicité"),
        "marketing.advertising.first_party.contextual": (
            "Contextual advertising",
            "Publicité contextuelle",
        ),
        "marketing.advertising.first_party.targeted": (
            "Personalised advertising",
            "Publicité personnalisée",
        ),
        "marketing.advertising.frequency_capping": (
            "Limiting how often you see an ad",
            "Limitation de la répétition des publicités",
        ),
        "marketing.advertising.negative_targeting": (
            "Excluding you from advertising",
            "Exclusion de publicités",
        ),
        "marketing.advertising.profiling": ("Advertising profiling", "Profilage publicitaire"),
        "marketing.advertising.serving": ("Displaying advertisements", "Affichage de publicités"),
        "marketing.advertising.third_party": ("Advertising by partners", "Publicité de partenaires"),
        "marketing.advertising.third_party.targeted": (
            "Personalised advertising by partners",
            "Publicité personnalisée de partenaires",
        ),
        "marketing.communications": ("Marketing messages", "Communications commerciales"),
        "marketing.communications.email": (
            "Newsletters and marketing e-mails",
            "Lettres d'information et e-mails commerciaux",
        ),
        "marketing.communications.sms": ("Marketing text messages", "SMS commerciaux"),
        "operations": ("Running our business", "Gestion de notre activité"),
        "personalize": ("Personalisation", "Personnalisation"),
        "personalize.content": ("Personalised content", "Contenus personnalisés"),
        "personalize.content.limited": ("Lightly personalised content", "Personnalisation limitée"),
        "personalize.content.profiled": ("Content chosen from your profile", "Contenus ciblés"),
        "personalize.content.profiling": (
            "Profiling to personalise content",
            "Profilage pour personnaliser les contenus",
        ),
        "personalize.profiling": ("Profiling", "Profilage"),
        "personalize.system": ("Personalised settings", "Paramètres personnalisés"),
        "sales": (
            "Customer and prospect relations",
            "Gestion de la relation clients et prospects",
        ),
        "third_party_sharing": ("Sharing with third parties", "Partage avec des tiers"),
        "third_party_sharing.legal_obligation": (
            "Disclosure required by law",
            "Communication imposée par la loi",
        ),
        "train_ai_system": ("Training AI systems", "Entraînement de systèmes d'IA"),
    }
)

LEGAL_BASIS_LABELS: Mapping[LegalBasis, tuple[str, str]] = MappingProxyType(
    {
        LegalBasis.CONSENT: ("your consent (Art. 6(1)(a) GDPR)", "votre consentement (art. 6.1.a du RGPD)"),
        LegalBasis.CONTRACT: (
            "a contract with you or steps before one (Art. 6(1)(b) GDPR)",
            "l'exécution d'un contrat avec vous ou de mesures précontractuelles (art. 6.1.b du RGPD)",
        ),
        LegalBasis.LEGAL_OBLIGATION: (
            "a legal obligation (Art. 6(1)(c) GDPR)",
            "le respect d'une obligation légale (art. 6.1.c du RGPD)",
        ),
        LegalBasis.VITAL_INTERESTS: (
            "the protection of vital interests (Art. 6(1)(d) GDPR)",
            "la sauvegarde d'intérêts vitaux (art. 6.1.d du RGPD)",
        ),
        LegalBasis.PUBLIC_INTEREST: (
            "a task in the public interest (Art. 6(1)(e) GDPR)",
            "une mission d'intérêt public (art. 6.1.e du RGPD)",
        ),
        LegalBasis.LEGITIMATE_INTERESTS: (
            "our legitimate interests (Art. 6(1)(f) GDPR)",
            "notre intérêt légitime (art. 6.1.f du RGPD)",
        ),
    }
)


class Right(StrEnum):
    """The rights every report lists (Art. 15(1)(e)-(f))."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"
    OBJECTION = "objection"
    WITHDRAW_CONSENT = "withdraw_consent"
    COMPLAINT = "complaint"


# right -> ((English title, text), (French title, text))
RIGHT_LABELS: Mapping[Right, tuple[tuple[str, str], tuple[str, str]]] = MappingProxyType(
    {
        Right.ACCESS: (
            (
                "Access (Art. 15)",
                "You may obtain a copy of the data we hold about you; this report is part of it.",
            ),
            (
                "Droit d'accès (art. 15)",
                "Vous pouvez obtenir une copie des données que nous détenons sur vous ; "
                "ce rapport en fait partie.",
            ),
        ),
        Right.RECTIFICATION: (
            (
                "Rectification (Art. 16)",
                "You may have inaccurate data corrected and incomplete data completed.",
            ),
            (
                "Droit de rectification (art. 16)",
                "Vous pouvez faire corriger des données inexactes et compléter des données incomplètes.",
            ),
        ),
        Right.ERASURE: (
            (
                "Erasure (Art. 17)",
                "You may have your data erased, unless the law requires us to keep it.",
            ),
            (
                "Droit à l'effacement (art. 17)",
                "Vous pouvez faire effacer vos données, sauf si la loi nous impose de les conserver.",
            ),
        ),
        Right.RESTRICTION: (
            (
                "Restriction (Art. 18)",
                "You may have the use of your data suspended while its accuracy or our grounds are checked.",
            ),
            (
                "Droit à la limitation (art. 18)",
                "Vous pouvez faire suspendre l'utilisation de vos données le temps d'en vérifier "
                "l'exactitude ou nos motifs.",
            ),
        ),
        Right.PORTABILITY: (
            (
                "Portability (Art. 20)",
                "You may receive the data you gave us, under your consent or a contract, in a "
                "machine-readable format, or have it sent to another organisation.",
            ),
            (
                "Droit à la portabilité (art. 20)",
                "Vous pouvez recevoir les données que vous nous avez fournies, sur la base de votre "
                "consentement ou d'un contrat, dans un format lisible par machine, ou les faire "
                "transmettre à un autre organisme.",
            ),
        ),
        Right.OBJECTION: (
            (
                "Objection (Art. 21)",
                "You may object at any time to the use of your data for direct marketing, and to a "
                "use based on our legitimate interests.",
            ),
            (
                "Droit d'opposition (art. 21)",
                "Vous pouvez vous opposer à tout moment à la prospection commerciale, et à un "
                "traitement fondé sur notre intérêt légitime.",
            ),
        ),
        Right.WITHDRAW_CONSENT: (
            (
                "Withdrawal of consent (Art. 7(3))",
                "Where we rely on your consent, you may withdraw it at any time, as easily as you gave it.",
            ),
            (
                "Retrait du consentement (art. 7.3)",
                "Lorsque nous nous fondons sur votre consentement, vous pouvez le retirer à tout "
                "moment, aussi simplement que vous l'avez donné.",
            ),
        ),
        Right.COMPLAINT: (
            (
                "Complaint (Art. 77)",
                "You may lodge a complaint with the supervisory authority.",
            ),
            (
                "Réclamation (art. 77)",
                "Vous pouvez introduire une réclamation auprès de l'autorité de contrôle.",
            ),
        ),
    }
)

# (English, French): what a rule's clock runs from, as the sentence after the duration.
TRIGGER_WORDS: Mapping[RetentionTrigger, tuple[str, str]] = MappingProxyType(
    {
        RetentionTrigger.COLLECTION: (
            "after it was collected or last updated",
            "après sa collecte ou sa dernière mise à jour",
        ),
        RetentionTrigger.LAST_CONTACT: ("after the last contact", "après le dernier contact"),
        RetentionTrigger.APPLICATION: ("after your application", "après votre candidature"),
        RetentionTrigger.END_OF_CONTRACT: ("after the end of the contract", "après la fin du contrat"),
        RetentionTrigger.END_OF_FINANCIAL_YEAR: (
            "from the end of the financial year",
            "à compter de la clôture de l'exercice comptable",
        ),
        RetentionTrigger.ACCOUNT_CLOSURE: (
            "after your account is closed",
            "après la clôture de votre compte",
        ),
        RetentionTrigger.CONCLUSION: (
            "from the conclusion of the contract",
            "à compter de la conclusion du contrat",
        ),
        RetentionTrigger.REJECTION: (
            "after the latest negative decision about you",
            "après la dernière décision défavorable vous concernant",
        ),
        RetentionTrigger.LAST_PURCHASE: ("after the last purchase", "après le dernier achat"),
        RetentionTrigger.END_OF_SESSION: ("after the end of your visit", "après la fin de votre visite"),
    }
)

# A zero duration runs to an end itself: "until the end of the contract".
_UNTIL: Mapping[RetentionTrigger, tuple[str, str]] = MappingProxyType(
    {
        RetentionTrigger.END_OF_CONTRACT: ("until the end of the contract", "jusqu'à la fin du contrat"),
        RetentionTrigger.ACCOUNT_CLOSURE: (
            "until your account is closed",
            "jusqu'à la clôture de votre compte",
        ),
        RetentionTrigger.END_OF_SESSION: ("until the end of your visit", "jusqu'à la fin de votre visite"),
    }
)

_UNITS = {
    Lang.EN: (("year", "years"), ("month", "months"), ("day", "days")),
    Lang.FR: (("an", "ans"), ("mois", "mois"), ("jour", "jours")),
}
_AND = {Lang.EN: " and ", Lang.FR: " et "}
_OR = {Lang.EN: " or ", Lang.FR: " ou "}
_WHICHEVER = {
    (Lang.EN, Whichever.FIRST): ", whichever comes first",
    (Lang.EN, Whichever.LAST): ", whichever comes last",
    (Lang.FR, Whichever.FIRST): ", selon l'échéance la plus proche",
    (Lang.FR, Whichever.LAST): ", selon l'échéance la plus lointaine",
}
_LEGAL = {Lang.EN: " (required by law)", Lang.FR: " (obligation légale)"}
_ONCE = {Lang.EN: "; or, once it has happened, ", Lang.FR: " ; ou, une fois survenu, "}
_ANONYMISED = {Lang.EN: ", then anonymised", Lang.FR: ", puis anonymisées"}
_ARCHIVED = {Lang.EN: ", then archived for {}", Lang.FR: ", puis archivées pendant {}"}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang is Lang.EN else pair[1]


def _nearest(table: Mapping[str, tuple[str, str]], key: str) -> tuple[str, str] | None:
    """The label of ``key``, else of its nearest labelled fideslang ancestor."""
    parts = key.split(".")
    while parts:
        if (found := table.get(".".join(parts))) is not None:
            return found
        parts.pop()
    return None


def category_label(key: str, lang: Lang) -> str:
    """``user.contact.email`` -> "E-mail address" / "Adresse e-mail"; a key no table knows
    (a taxonomy newer than the tables) reads as its nearest ancestor's label, else as itself."""
    found = _nearest(CATEGORY_LABELS, key)
    return _pick(found, lang) if found else key


def purpose_label(key: str, lang: Lang) -> str:
    found = _nearest(PURPOSE_LABELS, key)
    return _pick(found, lang) if found else key


def legal_basis_label(basis: LegalBasis | str, lang: Lang) -> str:
    return _pick(LEGAL_BASIS_LABELS[LegalBasis(basis)], lang)


def right_label(right: Right, lang: Lang) -> tuple[str, str]:
    """(title, what it lets the person do)."""
    return RIGHT_LABELS[right][0 if lang is Lang.EN else 1]


def duration_words(duration: Duration, lang: Lang) -> str:
    """``{years: 1, months: 6}`` -> "1 year and 6 months" / "1 an et 6 mois"."""
    amounts = (duration.years, duration.months, duration.days)
    parts = [
        f"{n} {units[0] if n == 1 else units[1]}" for n, units in zip(amounts, _UNITS[lang], strict=True) if n
    ]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + _AND[lang] + parts[-1]
    return parts[0] if parts else ""


def clock_words(clock: Clock, lang: Lang) -> str:
    """ "3 years after the last contact" / "3 ans après le dernier contact"."""
    if clock.duration.zero:
        return _pick(_UNTIL[clock.trigger], lang)
    return f"{duration_words(clock.duration, lang)} {_pick(TRIGGER_WORDS[clock.trigger], lang)}"


def retention_words(rule: RetentionRule, lang: Lang) -> str:
    """The rule's promise as the policy would word it, from its clocks: one clock, or several
    joined with which of them decides; a legal obligation says so."""
    text = _OR[lang].join(clock_words(clock, lang) for clock in rule.all_clocks)
    if rule.whichever is not None:
        text += _WHICHEVER[(lang, rule.whichever)]
    if rule.until:
        text += _ONCE[lang] + _OR[lang].join(clock_words(clock, lang) for clock in rule.until)
        if len(rule.until) > 1:
            text += _WHICHEVER[(lang, Whichever.LAST)]
    if rule.archive is not None:
        text += _ARCHIVED[lang].format(duration_words(rule.archive.duration, lang))
    elif rule.at_expiry.value == "anonymise":
        text += _ANONYMISED[lang]
    if rule.legal_obligation:
        text += _LEGAL[lang]
    return text


@cache
def _french_countries() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


def country_name(code: str, lang: Lang) -> str:
    """``US`` -> "United States" / "États-Unis" (ISO 3166 names, French from pycountry's own
    translations); a code pycountry does not know (an organisation's id) stays as it is."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang is Lang.FR:
        return _french_countries().gettext(country.name)
    return str(getattr(country, "common_name", None) or country.name)
