"""One person across four systems under four identifiers ends as one subject in the graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.domain.subjects import identifier_key
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage_lab import statements
from tests.integration.feed import publish

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures"
LEA = "lea.martin@example.fr"

HUBSPOT_CREATED = [
    {
        "eventId": 1834511902,
        "subscriptionId": 2410715,
        "portalId": 4421987,
        "appId": 1160452,
        "occurredAt": 1772791800123,
        "subscriptionType": "contact.creation",
        "attemptNumber": 0,
        "objectId": 90512,
        "changeSource": "CRM_UI",
        "sourceId": "userId:12345",
    },
    {
        "eventId": 1834511903,
        "subscriptionId": 2410716,
        "portalId": 4421987,
        "appId": 1160452,
        "occurredAt": 1772791800456,
        "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0,
        "objectId": 90512,
        "propertyName": "email",
        "propertyValue": LEA,
        "changeSource": "CRM_UI",
        "sourceId": "userId:12345",
    },
]
HUBSPOT_DELETED = [
    {
        "eventId": 1834599001,
        "subscriptionId": 2410720,
        "portalId": 4421987,
        "appId": 1160452,
        "occurredAt": 1775023200000,
        "subscriptionType": "contact.deletion",
        "attemptNumber": 0,
        "objectId": 90512,
        "changeSource": "GDPR",
        "sourceId": "userId:12345",
    }
]
BREVO_ADDED = {
    "id": 771204,
    "email": LEA,
    "event": "list_addition",
    "key": "f3a9c1d07e",
    "list_id": [42],
    "date": "2026-03-06 12:05:00",
    "ts": 1772795100,
}
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
                "id": 37031511,
                "first_name": "Léa",
                "last_name": "Martin",
                "email_addresses": [{"value": LEA, "type": "personal"}],
                "attachments": [
                    {
                        "filename": "CV_Lea_Martin.pdf",
                        "type": "resume",
                        "url": "https://files.example/cv/37031511",
                    }
                ],
                "created_at": "2026-03-02T09:14:00Z",
            },
        }
    },
}


class TestIdentityAcrossSystems:
    def test_crm_brevo_ats_and_bucket_are_one_person(
        self, pipeline: Settings, hasher, tmp_path: Path
    ) -> None:
        publish(pipeline, "hubspot", HUBSPOT_CREATED)
        publish(pipeline, "brevo", BREVO_ADDED)
        publish(pipeline, "greenhouse", GREENHOUSE_APPLIED)
        s3_put = json.loads((FIXTURES / "s3" / "cv_put.json").read_text())
        publish(pipeline, "s3", s3_put)
        publish(pipeline, "hubspot", HUBSPOT_DELETED)  # names only the HubSpot id
        with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=180)

        with open_driver(pipeline) as driver:
            reader = GraphReader(driver, pipeline.neo4j.database)
            by_email = reader.subject_map(hasher.email(LEA))
            by_hubspot = reader.subject_map(identifier_key(hasher, "hubspot:90512"))
            by_candidate = reader.subject_map(identifier_key(hasher, "greenhouse:37031511"))
            impact = reader.erasure_impact(hasher.email(LEA))
            counts = reader.counts()

        assert counts["subjects"] == 1 and counts["identifiers"] == 3
        assert by_email == by_hubspot == by_candidate
        stores = {row["store"]: row for row in by_email}
        assert set(stores) == {
            "hubspot/contacts",
            "brevo/contacts",
            "greenhouse/candidates",
            "s3://acme-hr-cv",
        }
        assert stores["hubspot/contacts"]["held"] == []  # deleted in the CRM, by id only
        assert "user.contact.email" in stores["hubspot/contacts"]["erased"]
        assert "user.contact.email" in stores["brevo/contacts"]["held"]  # newsletter remains
        assert stores["s3://acme-hr-cv"]["held"] == ["user.content.private.cv"]
        assert {row["store"] for row in impact} == {
            "brevo/contacts",
            "greenhouse/candidates",
            "s3://acme-hr-cv",
        }

    def test_same_person_merged_in_either_order_gives_the_same_graph(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        # Brevo and Greenhouse first (e-mail known), the HubSpot link last: two subjects merge.
        publish(pipeline, "brevo", BREVO_ADDED)
        publish(pipeline, "greenhouse", GREENHOUSE_APPLIED)
        with WorkerProcess(pipeline, tmp_path / "first.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        publish(pipeline, "hubspot", HUBSPOT_CREATED)
        with WorkerProcess(pipeline, tmp_path / "second.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        with open_driver(pipeline) as driver:
            reader = GraphReader(driver, pipeline.neo4j.database)
            incremental = reader.fingerprint()
            assert reader.counts()["subjects"] == 1
            driver.execute_query(statements.WIPE, database_=pipeline.neo4j.database)
        replay = pipeline.model_copy(update={"app_id": pipeline.app_id + "-replay"})
        with WorkerProcess(replay, tmp_path / "replay.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        with open_driver(pipeline) as driver:
            assert GraphReader(driver, pipeline.neo4j.database).fingerprint() == incremental


CV_SHARED = {
    "event_id": "dropbox-share:37031511",
    "occurred_at": "2026-03-03T10:00:00Z",
    "source": "dropbox",
    "action": "copied",
    "store": "s3://acme-hr-cv",
    "destination": "dropbox/recruitment",
    "categories": ["user.content.private.cv"],
    "subject": {"type": "job_applicant", "native": {"namespace": "greenhouse:candidate", "id": 37031511}},
}


class TestAlertsFollowMergedPeople:
    def test_alert_on_a_candidate_id_concerns_the_merged_person(
        self, pipeline: Settings, hasher, tmp_path: Path
    ) -> None:
        from graph.alerts import alert_subjects, list_alerts

        publish(pipeline, "canonical", CV_SHARED)  # known only by the Greenhouse id so far
        with WorkerProcess(pipeline, tmp_path / "first.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        publish(pipeline, "brevo", BREVO_ADDED)
        publish(pipeline, "greenhouse", GREENHOUSE_APPLIED)  # links the id and the e-mail
        with WorkerProcess(pipeline, tmp_path / "second.log").start() as worker:
            worker.wait_caught_up(timeout=120)

        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            reader = GraphReader(driver, database)
            assert reader.counts()["subjects"] == 1
            person = reader.subject_map(hasher.email(LEA))[0]["subject"]
            (dropbox,) = [
                a for a in list_alerts(driver, database, None) if a["store"] == "dropbox/recruitment"
            ]
            assert dropbox["count"] == 1
            assert alert_subjects(driver, database, dropbox["id"]) == [person]
