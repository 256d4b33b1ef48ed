"""The access report and the portability export of a person whose data came through the real
worker: built from the graph and the catalog, rendered as HTML and PDF, and the PDF read back as
text, in French and in English."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from graph.connection import open_driver
from lineage.answers.access_report import access_report, portability_export, render_html, render_pdf
from lineage.answers.subjects import subject_key
from lineage.domain.access_report import OriginKind
from lineage.settings import Settings
from tests.integration.feed import publish, run_worker

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures"
LEA = "lea.martin@example.fr"
CANDIDATE = 37031511

BREVO_ADDED = json.loads((FIXTURES / "brevo" / "marketing_list_addition.json").read_text())
GREENHOUSE_APPLIED = {
    "action": "new_candidate_application",
    "payload": {
        "application": {
            "id": 46196263,
            "status": "active",
            "applied_at": "2026-03-02T09:14:00Z",
            "prospect": False,
            "jobs": [{"id": 4480027, "name": "Chargé de recrutement"}],
            "candidate": {
                "id": CANDIDATE,
                "email_addresses": [{"value": LEA, "type": "personal"}],
                "attachments": [
                    {"filename": "cv.pdf", "type": "resume", "url": f"https://files.example/cv/{CANDIDATE}"}
                ],
                "created_at": "2026-03-02T09:14:00Z",
            },
        }
    },
}


def canonical(event_id: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "subject": {"type": "customer", "email": LEA}, **fields}


CANONICAL = [
    # From the trade register, not from Léa (Art. 14): the catalog names infogreffe indirect.
    canonical(
        "infogreffe:company-2026-03-03",
        occurred_at="2026-03-03T10:00:00Z",
        source="infogreffe",
        action="collected",
        store="hubspot/contacts",
        categories=["user.contact.organization"],
        purpose="sales",
        legal_basis="legitimate_interests",
    ),
    # Recruiters share her CV through Dropbox: a copy, unapproved (Privacy Shield).
    canonical(
        "recruiting:share-cv-2026-03-04",
        occurred_at="2026-03-04T15:00:00Z",
        source="recruiting",
        action="copied",
        store="s3://acme-hr-cv",
        destination="dropbox/recruitment",
        categories=["user.content.private.cv"],
        purpose="employment.recruitment",
    ),
    canonical(
        "erp:invoice-2026-0042",
        occurred_at="2026-03-10T10:00:00Z",
        source="erp",
        action="collected",
        store="billing/invoices",
        categories=["user.financial", "user.name"],
        purpose="finance",
        legal_basis="contract",
    ),
]


def pdf_text(pdf: bytes) -> str:
    """The PDF's words, one space between each (table cells wrap lines anywhere)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.fixture
def fed(pipeline: Settings, tmp_path: Path) -> Settings:
    publish(pipeline, "brevo", BREVO_ADDED)
    publish(pipeline, "greenhouse", GREENHOUSE_APPLIED)
    publish(pipeline, "canonical", *CANONICAL)
    run_worker(pipeline, tmp_path / "worker.log")
    return pipeline


class TestAccessReport:
    def test_built_from_the_graph_rendered_and_read_back(self, fed: Settings) -> None:
        key = subject_key(fed, LEA)
        with open_driver(fed) as driver:
            fr = access_report(driver, fed.neo4j.database, fed, key=key)  # FR organisation: French
            en = access_report(driver, fed.neo4j.database, fed, key=key, lang="en")
            export = portability_export(driver, fed.neo4j.database, fed, key=key)
            nobody = access_report(driver, fed.neo4j.database, fed, key="f" * 32, lang="en")

        assert fr.lang == "fr" and fr.subject is not None and fr.zone == "Europe/Paris"
        items = {(i.store, i.category.key): i for i in en.items}
        email = items[("brevo/contacts", "user.contact.email")]
        assert email.origin.kind is OriginKind.PERSON
        assert [p.label for p in email.purposes] == ["Newsletters and marketing e-mails"]
        assert [b.key for b in email.legal_bases] == ["consent"]
        assert email.retention.promise == "3 years after the last contact"
        # Added 2026-03-06 12:05 in Paris: kept until 2029-03-06, on the Paris calendar.
        assert email.retention.until is not None and email.retention.until.isoformat().startswith(
            "2029-03-06T12:05"
        )
        assert items[("hubspot/contacts", "user.contact.organization")].origin.kind is OriginKind.INDIRECT
        copied = items[("dropbox/recruitment", "user.content.private.cv")].origin
        assert (copied.kind, copied.stores) == (OriginKind.COPY, ["s3://acme-hr-cv"])
        assert items[("greenhouse/candidates", "user.contact.email")].country == "United States"

        transfers = {t.recipient: t for t in en.transfers}
        assert "module 2 (controller to processor)" in transfers["Greenhouse Software, Inc."].safeguard
        assert transfers["Dropbox, Inc."].safeguard.startswith("No valid safeguard")
        assert not transfers["Dropbox, Inc."].approved
        assert {h.store for h in en.holders} >= {
            "brevo/contacts",
            "greenhouse/candidates",
            "billing/invoices",
        }

        html_fr, html_en = render_html(fr), render_html(en)
        text_fr, text_en = pdf_text(render_pdf(fr)), pdf_text(render_pdf(en))
        for shown in (html_fr, html_en, text_fr, text_en):
            assert LEA not in shown and "lea.martin" not in shown  # never an identifier's value
        for expected in (
            "Vos données personnelles : rapport d'accès",
            "Adresse e-mail",
            "3 ans après le dernier contact, jusqu'au 6 mars 2029",
            "auprès d'une autre source que vous (infogreffe)",
            "Clauses contractuelles types de la Commission européenne",
            "Aucune garantie valable n'est documentée pour ce transfert",
            "Commission nationale de l'informatique et des libertés",
            "dpo@atelier-nord.example",
            "Droit à la portabilité",
        ):
            assert expected in text_fr, expected
        for expected in (
            "Your personal data: access report",
            "E-mail address",
            "3 years after the last contact, until 6 March 2029",
            "copied from CV bucket",
            "Standard contractual clauses of the European Commission",
            "https://www.cnil.fr/fr/plaintes",
            "Your rights",
        ):
            assert expected in text_en, expected

        assert nobody.subject is None and nobody.items == []
        assert "We hold no personal data about you" in pdf_text(render_pdf(nobody))

        provided = {(i.store, i.category) for i in export.items}
        assert ("brevo/contacts", "user.contact.email") in provided  # given by her, under consent
        assert ("billing/invoices", "user.financial") in provided  # under the contract
        assert ("hubspot/contacts", "user.contact.organization") not in provided  # not from her
        assert ("dropbox/recruitment", "user.content.private.cv") not in provided  # a copy
        assert LEA not in export.to_json() and LEA not in export.to_csv()
        rows = list(csv.DictReader(io.StringIO(export.to_csv())))
        assert len(rows) == len(export.items)
