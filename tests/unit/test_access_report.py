"""The access report and the portability export built from a fixture read of one person's map."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lineage.answers.access_report import PortabilityExport, parse_lang
from lineage.domain.access_report import (
    AccessReport,
    HoldingRead,
    OriginKind,
    PersonRead,
    RequestRead,
    StoreRead,
    SubProcessorRead,
    TaskRead,
    build_report,
)
from lineage.domain.catalog import CNIL, Catalog, parse_catalog
from lineage.domain.labels import Lang
from lineage.domain.portability import build_portability
from lineage.errors import NotFoundError, QueryError
from lineage.reference import default_transfer_rules
from lineage.reports.render import TEXT, day_words, render_html

DEMO = Path(__file__).resolve().parents[2] / "lineage" / "catalogs" / "demo.yaml"
KEY = "0123456789abcdef0123456789abcdef"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(DEMO.read_text())


def _store(store: str, system: str, name: str, processor: str, pc: str, country: str) -> StoreRead:
    return StoreRead(
        store=store,
        system=system,
        system_name=name,
        processor_id=system,
        processor=processor,
        processor_country=pc,
        country=country,
    )


READ = PersonRead(
    subject=KEY,
    subject_types=["newsletter_subscriber", "job_applicant"],
    holdings=[
        HoldingRead(
            store="brevo/contacts",
            category="user.contact.email",
            state="held",
            purposes=["marketing.communications.email"],
            legal_bases=["consent"],
            direct=True,
            collected=True,
            # 23:30 UTC on 1 March is 00:30 on 2 March in Paris: the report's day is the 2nd.
            expires_at=datetime(2029, 3, 1, 23, 30, tzinfo=UTC),
            rule="newsletter-3y-last-contact",
            trigger="last_contact",
            withdrawn_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        ),
        HoldingRead(
            store="brevo/contacts",
            category="user.behavior",
            state="held",
            purposes=["marketing.communications.email"],
            legal_bases=["consent"],
            expires_at=datetime(2029, 3, 1, 23, 30, tzinfo=UTC),
            rule="newsletter-3y-last-contact",
        ),
        HoldingRead(
            store="greenhouse/candidates",
            category="user.content.private.cv",
            state="held",
            purposes=["employment.recruitment"],
            legal_bases=["legitimate_interests"],
            direct=True,
            collected=True,
            expires_at=datetime(2028, 3, 2, 9, 14, tzinfo=UTC),
            rule="candidates-2y-last-contact",
        ),
        HoldingRead(
            store="dropbox/recruitment",
            category="user.content.private.cv",
            state="held",
            purposes=["employment.recruitment"],
            collected=True,
            copied_from=["s3://acme-hr-cv"],
        ),
        HoldingRead(
            store="hubspot/contacts",
            category="user.contact.organization",
            state="held",
            purposes=["sales"],
            legal_bases=["legitimate_interests"],
            collected=True,
            rule="crm-clients-5y-end-of-contract",
        ),
        HoldingRead(
            store="billing/invoices",
            category="user.financial",
            state="held",
            purposes=["finance"],
            legal_bases=["contract", "legal_obligation"],
            direct=True,
            collected=True,
            expires_at=datetime(2036, 12, 31, 23, 0, tzinfo=UTC),
            rule="invoices-10y-end-of-financial-year",
            legal_rule="invoices-10y-end-of-financial-year",
            legal_until=datetime(2036, 12, 31, 23, 0, tzinfo=UTC),
        ),
        HoldingRead(store="salesforce/contacts", category="user.name", state="erased", purposes=["sales"]),
        HoldingRead(
            store="ga/user-data",
            category="user.device.cookie_id",
            state="held",
            purposes=["analytics.reporting"],
            legal_bases=["consent"],
            direct=True,
            collected=True,
        ),
    ],
    stores=[
        StoreRead(
            store="brevo/contacts",
            system="brevo",
            system_name="Brevo newsletter and transactional e-mail",
            processor_id="sendinblue",
            processor="Sendinblue SAS (Brevo), Paris",
            processor_country="FR",
            country="FR",
            sub_processors=[SubProcessorRead(id="sms-gateway", name="SMS Gateway Inc.", country="US")],
        ),
        _store("greenhouse/candidates", "greenhouse", "Greenhouse recruiting", "Greenhouse", "US", "US"),
        _store("dropbox/recruitment", "dropbox", "Dropbox", "Dropbox, Inc.", "US", "US"),
        _store("hubspot/contacts", "hubspot", "HubSpot CRM", "HubSpot Ireland Ltd", "IE", "DE"),
        _store("billing/invoices", "billing", "Pennylane invoicing", "Pennylane SAS", "FR", "FR"),
        _store("salesforce/contacts", "salesforce", "Salesforce", "Salesforce, Inc.", "US", "FR"),
        _store("ga/user-data", "google-analytics", "Google Analytics", "Google LLC", "US", "US"),
    ],
    request=RequestRead(
        id="ac-0123456789abcdef",
        kind="access",
        received_at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC),
        tasks=[TaskRead(id="t1", store="brevo/contacts", system="brevo", status="done")],
    ),
)


def report(catalog: Catalog, lang: Lang) -> AccessReport:
    return build_report(READ, catalog, default_transfer_rules(), lang, NOW)


def item(r: AccessReport, store: str, category: str):  # type: ignore[no-untyped-def]
    return next(i for i in r.items if (i.store, i.category.key) == (store, category))


class TestContents:
    def test_categories_purposes_and_bases_in_words(self, catalog: Catalog) -> None:
        fr = report(catalog, Lang.FR)
        email = item(fr, "brevo/contacts", "user.contact.email")
        assert email.category.label == "Adresse e-mail"
        assert [p.label for p in email.purposes] == ["Lettres d'information et e-mails commerciaux"]
        assert [b.label for b in email.legal_bases] == ["votre consentement (art. 6.1.a du RGPD)"]
        invoice = item(report(catalog, Lang.EN), "billing/invoices", "user.financial")
        assert [b.key for b in invoice.legal_bases] == ["contract", "legal_obligation"]

    def test_the_catalogs_basis_when_the_events_stated_none(self) -> None:
        declared = parse_catalog(
            DEMO.read_text().replace(
                "purposes: [finance]", "purposes: [finance]\n        legal_basis: legal_obligation"
            )
        )
        unstated = READ.model_copy(
            update={"holdings": [h.model_copy(update={"legal_bases": []}) for h in READ.holdings]}
        )
        fr = build_report(unstated, declared, default_transfer_rules(), Lang.FR, NOW)
        assert [b.label for b in item(fr, "billing/invoices", "user.financial").legal_bases] == [
            "le respect d'une obligation légale (art. 6.1.c du RGPD)"
        ]
        assert item(fr, "hubspot/contacts", "user.contact.organization").legal_bases == []
        assert "non enregistrée" in render_html(fr)

    def test_origins(self, catalog: Catalog) -> None:
        en = report(catalog, Lang.EN)
        assert item(en, "brevo/contacts", "user.contact.email").origin.kind is OriginKind.PERSON
        assert item(en, "brevo/contacts", "user.behavior").origin.kind is OriginKind.SYSTEM
        copied = item(en, "dropbox/recruitment", "user.content.private.cv").origin
        assert (copied.kind, copied.stores) == (OriginKind.COPY, ["s3://acme-hr-cv"])
        assert copied.label == "copied from CV bucket (s3://acme-hr-cv)"
        indirect = item(en, "hubspot/contacts", "user.contact.organization").origin
        assert indirect.kind is OriginKind.INDIRECT
        assert indirect.label == "from a source other than you (infogreffe)"

    def test_systems_processors_and_countries(self, catalog: Catalog) -> None:
        cv = item(report(catalog, Lang.FR), "greenhouse/candidates", "user.content.private.cv")
        assert (cv.system_name, cv.processor, cv.country) == (
            "Greenhouse recruiting",
            "Greenhouse",
            "États-Unis",
        )

    def test_transfers_out_of_the_eea_with_their_safeguards(self, catalog: Catalog) -> None:
        en = report(catalog, Lang.EN)
        by_recipient = {t.recipient: t for t in en.transfers}
        greenhouse = by_recipient["Greenhouse Software, Inc."]
        assert greenhouse.safeguard == (
            "Standard contractual clauses of the European Commission (Decision 2021/914), "
            "module 2 (controller to processor)"
        )
        assert greenhouse.reference == "Greenhouse DPA, SCC module 2"
        assert "module 3 (processor to processor)" in by_recipient["SMS Gateway Inc."].safeguard
        assert "Binding corporate rules" not in {t.safeguard for t in en.transfers}  # erased there
        google = by_recipient["Google LLC"]
        assert "certified under the EU-US Data Privacy Framework" in google.safeguard
        assert google.approved
        dropbox = by_recipient["Dropbox, Inc."]
        assert not dropbox.approved and dropbox.safeguard.startswith("No valid safeguard")
        assert by_recipient["SMS Gateway support centre"].country == "India"
        assert all(t.country != "France" for t in en.transfers)  # inside the EEA: no transfer
        fr = report(catalog, Lang.FR)
        assert any("décision 2021/914), module 2 (de responsable à sous-traitant)" in t.safeguard
                   for t in fr.transfers)  # fmt: skip

    def test_binding_corporate_rules(self, catalog: Catalog) -> None:
        held = READ.model_copy(
            update={"holdings": [h.model_copy(update={"state": "held"}) for h in READ.holdings]}
        )
        fr = build_report(held, catalog, default_transfer_rules(), Lang.FR, NOW)
        assert any(t.safeguard.startswith("Règles d'entreprise contraignantes") for t in fr.transfers)

    def test_retention_in_words_and_on_the_organisations_calendar(self, catalog: Catalog) -> None:
        fr, en = report(catalog, Lang.FR), report(catalog, Lang.EN)
        email_fr = item(fr, "brevo/contacts", "user.contact.email").retention
        assert email_fr.promise == "3 ans après le dernier contact"
        assert email_fr.until is not None and str(email_fr.until.tzinfo) == "Europe/Paris"
        assert day_words(email_fr.until, Lang.FR) == "2 mars 2029"
        email_en = item(en, "brevo/contacts", "user.contact.email").retention
        assert email_en.promise == "3 years after the last contact"
        assert day_words(email_en.until, Lang.EN) == "2 March 2029"
        pending = item(en, "hubspot/contacts", "user.contact.organization").retention
        assert pending.pending and pending.promise == "5 years after the end of the contract"
        invoice = item(fr, "billing/invoices", "user.financial").retention
        assert invoice.promise is not None and invoice.promise.endswith("(obligation légale)")
        assert day_words(invoice.until, Lang.FR) == "1er janvier 2037"

    def test_rights_dpo_and_authority(self, catalog: Catalog) -> None:
        fr = report(catalog, Lang.FR)
        assert [r.right for r in fr.rights] == [
            "access", "rectification", "erasure", "restriction", "portability", "objection",
            "withdraw_consent", "complaint",
        ]  # fmt: skip
        assert fr.dpo is not None and fr.dpo.email == "dpo@atelier-nord.example"
        assert fr.authority is not None and fr.authority.url == CNIL.url

    def test_holders_are_asked_for_the_copy(self, catalog: Catalog) -> None:
        en = report(catalog, Lang.EN)
        brevo = next(h for h in en.holders if h.store == "brevo/contacts")
        assert (brevo.task, brevo.task_status) == ("t1", "done")
        assert sorted(brevo.categories) == [
            "E-mail address",
            "How you interact with our messages and services (opens, clicks)",
        ]
        assert en.request is not None and en.request.received_at is not None
        assert en.request.received_at.day == 5  # 23:30 UTC on the 4th is the 5th in Paris

    def test_erased_data_is_listed_apart(self, catalog: Catalog) -> None:
        en = report(catalog, Lang.EN)
        assert [(i.store, i.category.key) for i in en.erased] == [("salesforce/contacts", "user.name")]
        assert all(i.store != "salesforce/contacts" for i in en.items)

    def test_nobody_known(self, catalog: Catalog) -> None:
        empty = build_report(None, catalog, default_transfer_rules(), Lang.EN, NOW)
        assert (empty.subject, empty.items, empty.transfers) == (None, [], [])
        assert "We hold no personal data about you" in render_html(empty)


class TestRendering:
    @pytest.mark.parametrize("lang", list(Lang))
    def test_the_html_is_self_contained_and_holds_no_identifier_value(
        self, catalog: Catalog, lang: Lang
    ) -> None:
        html = render_html(report(catalog, lang))
        assert f'<html lang="{lang.value}">' in html
        assert "http://" not in html and "<link" not in html and "<script" not in html
        assert EMAIL.findall(html) == ["dpo@atelier-nord.example"]
        assert KEY in html  # the keyed hash, the only way the person is named

    def test_french_and_english(self, catalog: Catalog) -> None:
        fr, en = render_html(report(catalog, Lang.FR)), render_html(report(catalog, Lang.EN))
        assert "3 ans après le dernier contact, jusqu&#39;au 2 mars 2029" in fr
        assert "Vos droits" in fr and "Commission nationale de l&#39;informatique et des libertés" in fr
        assert "3 years after the last contact, until 2 March 2029" in en
        assert "Your rights" in en and "https://www.cnil.fr/fr/plaintes" in en
        assert "Clauses contractuelles types" in fr and "Standard contractual clauses" in en

    def test_every_sentence_reaches_the_page(self) -> None:
        """The template reads ``t.name``: a dict method of that name would shadow the sentence."""
        assert {k for words in TEXT.values() for k in words} & set(dir(dict)) == set()
        assert TEXT[Lang.FR].keys() == TEXT[Lang.EN].keys()

    def test_french_typography(self, catalog: Catalog) -> None:
        html = render_html(report(catalog, Lang.FR))
        assert "Une copie de vos données" in html and "built-in method" not in html
        assert "Droit d&#39;accès (art. 15)</strong>\u00a0: " in html

    def test_language_default_and_refusal(self) -> None:
        assert parse_lang(None, "FR") is Lang.FR
        assert parse_lang(None, "BE") is Lang.EN
        assert parse_lang("en", "FR") is Lang.EN
        with pytest.raises(QueryError):
            parse_lang("de", "FR")


class TestPortability:
    def test_only_what_the_person_provided_under_consent_or_contract(self, catalog: Catalog) -> None:
        export = build_portability(READ, catalog, NOW, "po-0123456789abcdef")
        got = {(i.store, i.category) for i in export.items}
        assert got == {
            ("brevo/contacts", "user.contact.email"),  # consent, from the person
            ("billing/invoices", "user.financial"),  # contract, from the person
            ("ga/user-data", "user.device.cookie_id"),
        }  # not: observed behaviour, a copy, an indirect source, legitimate interests, erased
        assert export.systems == ["billing/invoices", "brevo/contacts", "ga/user-data"]

    def test_json_and_csv(self, catalog: Catalog) -> None:
        export = PortabilityExport.model_validate(build_portability(READ, catalog, NOW).model_dump())
        data = json.loads(export.to_json())
        assert data["subject"] == KEY and data["zone"] == "Europe/Paris"
        rows = list(csv.DictReader(io.StringIO(export.to_csv())))
        assert len(rows) == 3
        invoice = next(r for r in rows if r["store"] == "billing/invoices")
        assert invoice["legal_bases"] == "contract; legal_obligation"
        assert invoice["category_label"] == "Financial data (invoices, payments)"


class TestApplication:
    def test_an_unknown_request_is_not_found_and_a_key_nobody_has_is_an_empty_report(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from lineage.answers import access_report as answers
        from lineage.settings import Settings

        monkeypatch.setattr(answers, "person_access_map", lambda *a, **k: None)
        settings = Settings(catalog=DEMO)
        with pytest.raises(NotFoundError):
            answers.access_report(None, "neo4j", settings, request_id="ac-0000000000000000")  # type: ignore[arg-type]
        empty = answers.access_report(None, "neo4j", settings, key=KEY)  # type: ignore[arg-type]
        assert empty.lang is Lang.FR and empty.items == [] and empty.dpo is not None
        with pytest.raises(QueryError):
            answers.access_report(None, "neo4j", settings, key=KEY, request_id="ac-1")  # type: ignore[arg-type]
