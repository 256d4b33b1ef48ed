"""Consent given and withdrawn as each source sends it: Brevo SMS (delivery, STOP replies,
unsubscriptions), HubSpot's e-mail opt-out properties, Salesforce's HasOptedOutOfEmail and the
canonical feed. The payloads sit in ``tests/fixtures/<source>/consent/``, shaped as each vendor
documents its webhooks."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lineage.adapters.brevo import adapt_brevo
from lineage.adapters.canonical import adapt_canonical
from lineage.adapters.hubspot import adapt_hubspot
from lineage.adapters.salesforce import adapt_salesforce
from lineage.domain.events import ActivityKind, LegalBasis
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
PHONE_KEY = HASHER.native("phone", "33612345678")
EMAIL_USE, SMS_USE = "marketing.communications.email", "marketing.communications.sms"
EMAIL, PHONE = ("user.contact.email",), ("user.contact.phone_number",)


def load(source: str, name: str) -> Any:
    return json.loads((FIXTURES / source / "consent" / f"{name}.json").read_text(encoding="utf-8"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class TestBrevoSms:
    def test_a_delivery_is_marketing_sms_activity_on_consent(self) -> None:
        (event,) = adapt_brevo(load("brevo", "sms_marketing_delivered"), HASHER)
        assert (event.action, event.activity) == ("activity", ActivityKind.DELIVERED)  # type: ignore[union-attr]
        assert (event.store, event.purpose, event.legal_basis) == (
            "brevo/contacts",
            SMS_USE,
            LegalBasis.CONSENT,
        )
        assert event.subject.key == PHONE_KEY and event.subject.type == SubjectType.NEWSLETTER_SUBSCRIBER
        assert event.categories == PHONE
        assert event.occurred_at == utc(2026, 3, 8, 8, 15, 2)  # Paris wall clock, in UTC
        assert event.native_type == "brevo:sms.delivered"

    @pytest.mark.parametrize(
        ("name", "at"),
        [
            ("sms_marketing_stop_reply", utc(2026, 3, 8, 8, 21, 40)),
            ("sms_marketing_unsubscribe", utc(2026, 3, 9, 17, 2, 11)),
        ],
    )
    def test_stop_replies_and_unsubscriptions_withdraw_consent(self, name: str, at: datetime) -> None:
        (event,) = adapt_brevo(load("brevo", name), HASHER)
        assert (event.action, event.purpose, event.store) == ("consent_withdrawn", SMS_USE, "brevo/contacts")
        assert event.subject.key == PHONE_KEY  # "+33 6 12 ..." and "336..." key alike
        assert event.occurred_at == at
        assert "STOP" not in event.model_dump_json() and "612345678" not in event.model_dump_json()

    @pytest.mark.parametrize("reply", ["Stop", "stop!", " ARRET ", "Arrêt svp", "STOP SMS"])
    def test_stop_keywords(self, reply: str) -> None:
        payload = {**load("brevo", "sms_marketing_stop_reply"), "reply": reply}
        assert adapt_brevo(payload, HASHER)[0].action == "consent_withdrawn"

    @pytest.mark.parametrize("reply", ["Merci", "", "non stop please"])
    def test_other_replies_are_replies(self, reply: str) -> None:
        payload = {**load("brevo", "sms_marketing_stop_reply"), "reply": reply}
        (event,) = adapt_brevo(payload, HASHER)
        assert (event.action, event.activity) == ("activity", ActivityKind.REPLIED)  # type: ignore[union-attr]

    def test_transactional_sms_rests_on_the_contract(self) -> None:
        payload = {**load("brevo", "sms_marketing_delivered"), "type": "Transactional"}
        (event,) = adapt_brevo(payload, HASHER)
        assert (event.store, event.purpose, event.legal_basis) == (
            "brevo/transactional",
            "essential.service.notifications.sms",
            LegalBasis.CONTRACT,
        )
        assert event.subject.type == SubjectType.CUSTOMER

    def test_a_redelivered_webhook_keeps_its_id_and_another_message_does_not(self) -> None:
        payload = load("brevo", "sms_marketing_delivered")
        first = adapt_brevo(payload, HASHER)[0].event_id
        assert adapt_brevo(copy.deepcopy(payload), HASHER)[0].event_id == first
        assert adapt_brevo({**payload, "messageId": 4412}, HASHER)[0].event_id != first

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"msg_status": "teleported"}, "msg_status is missing or not an SMS status"),
            ({"to": None}, "to is missing or not a phone number"),
            ({"to": "12"}, "to is not a phone number in international form"),
            ({"type": "promotional"}, "type is not marketing or transactional"),
            ({"msg_status": "replied", "reply": 3}, "reply is not a string"),
        ],
    )
    def test_refusals_name_the_field_never_the_number(self, change: dict[str, Any], reason: str) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_brevo({**load("brevo", "sms_marketing_delivered"), **change}, HASHER)
        assert reason in caught.value.reason and "612345678" not in caught.value.reason


class TestHubSpotOptOut:
    def test_opting_out_withdraws_marketing_email_consent(self) -> None:
        (event,) = adapt_hubspot(load("hubspot", "contact_email_optout"), HASHER)
        assert (event.action, event.purpose, event.legal_basis) == (
            "consent_withdrawn",
            EMAIL_USE,
            LegalBasis.CONSENT,
        )
        assert event.subject.key == HASHER.native("hubspot:contact", 90512)
        assert (event.store, event.categories, event.event_id) == (
            "hubspot/contacts",
            EMAIL,
            "hubspot:1834512207",
        )
        assert event.occurred_at == utc(2026, 3, 9, 10)

    def test_a_subscription_type_resubscribed_gives_consent(self) -> None:
        (event,) = adapt_hubspot(load("hubspot", "contact_subscription_resubscribe"), HASHER)
        assert (event.action, event.purpose) == ("consent_given", EMAIL_USE)
        assert event.occurred_at == utc(2026, 3, 12, 10)

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_an_emptied_opt_out_is_an_update_as_before(self, value: Any) -> None:
        item = {**load("hubspot", "contact_email_optout")[0], "propertyValue": value}
        (event,) = adapt_hubspot([item], HASHER)
        assert (event.action, event.purpose) == ("updated", "sales")

    def test_a_boolean_value_reads_like_its_string(self) -> None:
        item = {**load("hubspot", "contact_email_optout")[0], "propertyValue": False}
        assert adapt_hubspot([item], HASHER)[0].action == "consent_given"

    def test_an_unreadable_opt_out_is_refused(self) -> None:
        item = {**load("hubspot", "contact_email_optout")[0], "propertyValue": "maybe"}
        with pytest.raises(AdapterError, match="opt-out is not true or false"):
            adapt_hubspot([item], HASHER)


class TestSalesforceOptOut:
    def test_opting_out_on_a_contact_withdraws_consent(self) -> None:
        (event,) = adapt_salesforce(load("salesforce", "contact_email_opt_out"), HASHER)
        key = HASHER.native("salesforce:contact", "0035g00000KlMnOPQA")
        assert (event.action, event.purpose, event.store) == (
            "consent_withdrawn",
            EMAIL_USE,
            "salesforce/contacts",
        )
        assert event.subject.key == key
        assert event.event_id == f"salesforce:00a1b2c3-71aa-4c1b-9d0e-5f6a7b8c9d0e:1:{key}:optout"
        assert event.occurred_at == utc(2026, 3, 10, 10)
        assert event.native_type == "salesforce:Contact.HasOptedOutOfEmail"

    def test_opting_back_in_on_a_lead_gives_consent(self) -> None:
        (event,) = adapt_salesforce(load("salesforce", "lead_email_opt_in"), HASHER)
        assert (event.action, event.store) == ("consent_given", "salesforce/leads")
        assert event.subject.type == SubjectType.PROSPECT

    def test_an_opt_out_beside_other_changes_keeps_the_update(self) -> None:
        payload = load("salesforce", "contact_email_opt_out")
        payload["ChangeEventHeader"]["changedFields"].append("Phone")
        payload["Phone"] = "+33 6 00 00 00 00"
        consent, update = adapt_salesforce(payload, HASHER)
        assert (consent.action, update.action) == ("consent_withdrawn", "updated")
        assert update.categories == ("user.contact.phone_number",)
        assert consent.event_id != update.event_id

    def test_a_creation_opted_in_by_default_says_nothing_of_consent(self) -> None:
        payload = load("salesforce", "contact_email_opt_out")
        payload["ChangeEventHeader"].update(changeType="CREATE", changedFields=[])
        payload.update(HasOptedOutOfEmail=False, LastName="Martin")
        (event,) = adapt_salesforce(payload, HASHER)
        assert event.action == "collected"

    def test_an_update_not_naming_the_field_reads_no_consent(self) -> None:
        payload = load("salesforce", "contact_email_opt_out")
        payload["ChangeEventHeader"]["changedFields"] = ["LastModifiedDate"]
        assert [e.action for e in adapt_salesforce(payload, HASHER)] == ["updated"]

    def test_a_non_boolean_opt_out_is_refused(self) -> None:
        payload = {**load("salesforce", "contact_email_opt_out"), "HasOptedOutOfEmail": "yes"}
        with pytest.raises(AdapterError, match="HasOptedOutOfEmail is not a boolean"):
            adapt_salesforce(payload, HASHER)


class TestCanonicalConsent:
    def test_consent_given_is_a_canonical_event(self) -> None:
        (event,) = adapt_canonical(
            {
                "event_id": "crm-form:991",
                "occurred_at": "2026-03-02T10:00:00Z",
                "source": "crm-form",
                "store": "brevo/contacts",
                "subject": {"type": "newsletter_subscriber", "email": "lea.martin@example.fr"},
                "action": "consent_given",
                "purpose": EMAIL_USE,
                "legal_basis": "consent",
            },
            HASHER,
        )
        assert (event.action, event.purpose, event.legal_basis) == (
            "consent_given",
            EMAIL_USE,
            LegalBasis.CONSENT,
        )
        assert event.subject.key == HASHER.email("lea.martin@example.fr")
