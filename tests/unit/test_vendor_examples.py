"""Every event type each adapter maps, fed the vendor's own documented example, verbatim.

The payloads sit in ``tests/fixtures/vendor/<source>/`` exactly as published (their sources are
in ``tests/fixtures/vendor/SOURCES.md``); nothing is tidied to suit the adapter. Each test states
what the example must become: action, store, categories and time, or the refusal and its reason
(vendor examples with placeholder dates such as 1970-01-01 must be refused, naming the field).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lineage.adapters.s3 import adapt_s3
from lineage.domain.catalog import ObjectRule, SubjectFromKey, parse_catalog
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from lineage.settings import Settings
from lineage.sources import build_adapters

VENDOR = Path(__file__).resolve().parent.parent / "fixtures" / "vendor"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADAPTERS = build_adapters(parse_catalog(Settings().catalog.read_text()))
RECEIVED = datetime(2026, 4, 10, 12, 0, 5, tzinfo=UTC)
"""When lineage received each payload: the time of record of those that carry none."""
WINDOW = "is outside the accepted window (2000-01-01T00:00Z to 2099-12-31T23:59Z)"

EMAIL, PHONE, ADDRESS, URL = (
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.contact.url",
)
NAME = ("user.name.first", "user.name.last")
CV, COVER, PRIVATE = ("user.content.private.cv", "user.content.private.cover_letter", "user.content.private")
BEHAVIOUR = ("user.behavior", EMAIL)
CANDIDATES, BREVO_TX, BREVO_MKT = "greenhouse/candidates", "brevo/transactional", "brevo/contacts"


@dataclass(frozen=True)
class Mapped:
    """One canonical event the example must become."""

    action: str
    store: str
    categories: tuple[str, ...]
    at: str
    """``occurred_at`` in ISO 8601, UTC."""
    activity: str | None = None


def t(*categories: str) -> tuple[str, ...]:
    return tuple(sorted(set(categories)))


# fixture -> the events it must map to ([] is a valid example that records nothing),
# or the reason it must be refused with
EXPECTED: dict[str, list[Mapped] | str] = {
    # Greenhouse web hooks documentation: every action, mapped or ignored.
    "greenhouse/greenhouse_docs_new_candidate_application.json": [
        Mapped(
            "collected",
            CANDIDATES,
            t(*NAME, EMAIL, PHONE, ADDRESS, URL, CV, COVER, PRIVATE, "user.job_title", "user.workplace"),
            "2017-10-27T14:44:43+00:00",
        )
    ],
    "greenhouse/greenhouse_docs_new_prospect_application.json": [
        Mapped("collected", CANDIDATES, t(*NAME, EMAIL, PHONE, CV, PRIVATE), "2014-12-02T23:10:16+00:00")
    ],
    "greenhouse/greenhouse_docs_application_updated.json": [
        Mapped("updated", CANDIDATES, t(*NAME, EMAIL, PHONE, URL), "2015-12-03T06:31:26+00:00")
    ],
    "greenhouse/greenhouse_docs_candidate_stage_change.json": [
        Mapped(
            "updated",
            CANDIDATES,
            t(*NAME, EMAIL, PHONE, ADDRESS, URL, CV, COVER, PRIVATE, "user.job_title"),
            "2015-02-09T16:38:36+00:00",
        )
    ],
    "greenhouse/greenhouse_docs_hire_candidate.json": [
        Mapped(
            "updated",
            CANDIDATES,
            t(*NAME, EMAIL, PHONE, ADDRESS, CV, PRIVATE, "user.job_title"),
            "2014-11-20T22:49:14+00:00",
        ),
        Mapped("activity", CANDIDATES, (), "2014-11-20T22:49:14+00:00", "hired"),
    ],
    "greenhouse/greenhouse_docs_unhire_candidate.json": [
        Mapped("updated", CANDIDATES, t(*NAME, EMAIL, PHONE, CV, PRIVATE), "2015-03-18T20:28:09+00:00")
    ],
    # the rejection is also the moment "2 years after the negative decision" runs from
    "greenhouse/greenhouse_docs_reject_candidate.json": [
        Mapped("updated", CANDIDATES, t(*NAME, EMAIL, PHONE, CV, PRIVATE), "2015-02-11T15:50:41+00:00"),
        Mapped("activity", CANDIDATES, (), "2015-02-11T15:50:41+00:00", "rejected"),
    ],
    "greenhouse/greenhouse_docs_unreject_candidate.json": [
        Mapped("updated", CANDIDATES, t(*NAME, EMAIL, PHONE, CV, PRIVATE), "2015-02-11T15:50:41+00:00")
    ],
    # no updated_at in the documented update: dated when received, not at created_at (2016)
    "greenhouse/greenhouse_docs_update_candidate.json": [
        Mapped(
            "updated",
            CANDIDATES,
            t(*NAME, EMAIL, PHONE, ADDRESS, URL, CV, PRIVATE, "user.job_title", "user.workplace"),
            RECEIVED.isoformat(),
        )
    ],
    "greenhouse/greenhouse_docs_delete_candidate.json": [
        Mapped("erased", CANDIDATES, (), RECEIVED.isoformat())
    ],
    "greenhouse/greenhouse_docs_candidate_anonymized.json": [
        Mapped("anonymised", CANDIDATES, t("user.name", "user.job_title"), RECEIVED.isoformat())
    ],
    "greenhouse/greenhouse_docs_merge_candidate.json": [
        Mapped("linked", CANDIDATES, (), RECEIVED.isoformat())
    ],
    **{
        f"greenhouse/greenhouse_docs_{name}.json": []
        for name in (
            "delete_application",
            "interview_deleted",
            "scorecard_deleted",
            "offer_created",
            "offer_approved",
            "offer_updated",
            "offer_deleted",
        )
    },
    # shared/reference/payloads.md
    "greenhouse/payloads_md_new_candidate_application.json": [
        Mapped(
            "collected", CANDIDATES, t(*NAME, EMAIL, PHONE, ADDRESS, CV, COVER), "2026-03-02T09:14:00+00:00"
        )
    ],
    "greenhouse/payloads_md_delete_candidate.json": [Mapped("erased", CANDIDATES, (), RECEIVED.isoformat())],
    "greenhouse/payloads_md_candidate_anonymized.json": [
        Mapped(
            "anonymised", CANDIDATES, t("user.name", EMAIL, PHONE, CV, COVER, PRIVATE), RECEIVED.isoformat()
        )
    ],
    "hubspot/payloads_md_contact_creation.json": [
        Mapped(
            "collected",
            "hubspot/contacts",
            ("user.unique_id.pseudonymous",),
            "2026-03-06T10:10:00.123000+00:00",
        ),
        Mapped("updated", "hubspot/contacts", (EMAIL,), "2026-03-06T10:10:00.456000+00:00"),
    ],
    "hubspot/payloads_md_contact_privacydeletion.json": [
        Mapped("erased", "hubspot/contacts", (), "2026-04-01T06:00:00+00:00")
    ],
    # HubSpot's own: the Node.js client's signature test body (a real contact.creation batch)
    "hubspot/hubspot_sdk_contact_creation.json": [
        Mapped("collected", "hubspot/contacts", ("user.unique_id.pseudonymous",), "2019-07-26T04:00:00+00:00")
    ],
    # the Webhooks API page's example names the type "eventType"; what HubSpot sends (its client
    # libraries' fixture above, its changelog, its private-app payloads) is "subscriptionType"
    "hubspot/hubspot_docs_webhook_payloads.json": "event [0]: subscriptionType is missing or not a string",
    # Salesforce's Change Data Capture guide, "Change Events for Lead Conversion"
    "salesforce/sf_docs_lead_conversion_contact_create.json": [
        Mapped(
            "collected",
            "salesforce/contacts",
            t(
                *NAME,
                EMAIL,
                PHONE,
                "user.job_title",
                "user.contact.address.state",
                "user.contact.address.country",
            ),
            "2024-04-26T17:49:39+00:00",
        )
    ],
    # changedFields is an undecoded Pub/Sub API bitmap: the fields carried are read, none personal
    "salesforce/sf_docs_lead_conversion_lead_update.json": [
        Mapped("updated", "salesforce/leads", ("user.unique_id.pseudonymous",), "2024-04-26T17:49:40+00:00")
    ],
    "salesforce/payloads_md_create.json": [
        Mapped(
            "collected",
            "salesforce/leads",
            t(*NAME, EMAIL, "user.contact.organization"),
            "2026-03-06T10:10:00+00:00",
        )
    ],
    "brevo/payloads_md_hard_bounce.json": [
        Mapped("activity", BREVO_TX, (EMAIL,), "2026-03-06T10:10:23.412000+00:00", "bounced")
    ],
    # a campaign unsubscription also ends the subscription
    "brevo/payloads_md_unsubscribed.json": [
        Mapped("consent_withdrawn", BREVO_MKT, (EMAIL,), "2026-03-06T11:03:11+00:00"),
        Mapped("activity", BREVO_MKT, (), "2026-03-06T11:03:11+00:00", "account_closed"),
    ],
    "brevo/payloads_md_list_addition.json": [
        Mapped("collected", BREVO_MKT, (EMAIL,), "2026-03-06T11:05:00+00:00")
    ],
    "brevo/payloads_md_contact_updated.json": [
        Mapped(
            "updated",
            BREVO_MKT,
            t(EMAIL, "user.contact.organization", "user.name.first"),
            "2026-03-07T08:00:00+00:00",
        )
    ],
    "brevo/payloads_md_contact_deleted.json": [Mapped("erased", BREVO_MKT, (), "2026-04-01T06:00:00+00:00")],
    # Brevo's documentation (directly, or as recorded in django-anymail's tests)
    "brevo/brevo_docs_marketing_spam.jsonish": [
        Mapped("activity", BREVO_MKT, (EMAIL,), "2020-11-09T14:55:37+00:00", "complained")
    ],
    # ts_epoch in seconds (as Brevo documents it), agreeing with ts_event and ts
    "brevo/anymail_docs_error.json": [
        Mapped("activity", BREVO_TX, (EMAIL,), "2020-11-09T14:53:43+00:00", "failed")
    ],
    "brevo/anymail_docs_complaint.json": [
        Mapped("activity", BREVO_TX, (EMAIL,), "2020-11-09T14:54:14+00:00", "complained")
    ],
    # no ts*: dated by its Paris wall-clock date (the misspelt s_epoch is not read)
    "brevo/anymail_docs_proxy_open.json": [
        Mapped("activity", BREVO_TX, BEHAVIOUR, "2020-10-08T22:00:00+00:00", "opened")
    ],
    # live capture: ts nine hours from ts_epoch (ms), which wins
    "brevo/anymail_live_request.json": [
        Mapped("activity", BREVO_TX, (EMAIL,), "2018-03-06T19:10:23+00:00", "sent")
    ],
    # django-anymail's live captures, trimmed by anymail to the fields it reads
    **{
        f"brevo/anymail_live_{name}.json": [
            Mapped("activity", BREVO_TX, categories, "2018-03-06T19:10:23+00:00", activity)
        ]
        for name, activity, categories in (
            ("delivered", "delivered", (EMAIL,)),
            ("soft_bounce", "bounced", (EMAIL,)),
            ("blocked", "blocked", (EMAIL,)),
            ("deferred", "deferred", (EMAIL,)),
            ("opened", "opened", BEHAVIOUR),
            ("unique_opened", "opened", BEHAVIOUR),
            ("click", "clicked", BEHAVIOUR),
        )
    },
    # AWS S3 and SNS documentation, and payloads.md
    "s3/payloads_md_objectcreated_put.json": [
        Mapped("collected", "s3://acme-hr-cv", (CV,), "2026-03-02T09:15:02+00:00")
    ],
    "s3/aws_docs_objectcreated_put.json": f"record 0: eventTime {WINDOW}",
    "s3/aws_docs_s3_test_event.json": [],
    "s3/sns_docs_subscription_confirmation.json": [],
    "s3/sns_docs_unsubscribe_confirmation.json": [],
    "s3/sns_docs_notification.json": "Message of the SNS notification is not JSON (not an S3 notification)",
}
NATIVE_TYPES = {
    "salesforce/sf_docs_lead_conversion_contact_create.json": "salesforce:Contact.CREATE",
    "salesforce/sf_docs_lead_conversion_lead_update.json": "salesforce:Lead.UPDATE",
    "brevo/anymail_docs_proxy_open.json": "brevo:proxy_open",
    "greenhouse/greenhouse_docs_update_candidate.json": "greenhouse:update_candidate",
    "s3/payloads_md_objectcreated_put.json": "s3:ObjectCreated:Put",
}

DOC_RULES = [
    (
        "aws-docs/photos",
        ObjectRule(
            bucket="mybucket",
            subject_type=SubjectType.CUSTOMER,
            categories=("user.content.self_image",),
            subject_id=SubjectFromKey(segment=0, namespace="aws-docs:photo"),
        ),
    )
]
"""The AWS example's bucket, declared so its refusal is about its time, not its bucket."""
_PLACEHOLDER = re.compile(r"(?<=: )x+(?=,)")
_TRAILING_COMMA = re.compile(r",(\s*})")


def load(name: str) -> Any:
    """The fixture parsed. A ``.jsonish`` file is an example published as almost-JSON (Brevo
    writes ``"id": xxxxxx`` and leaves a trailing comma); only those two marks are repaired."""
    text = (VENDOR / name).read_text(encoding="utf-8")
    if name.endswith(".jsonish"):
        text = _TRAILING_COMMA.sub(r"\1", _PLACEHOLDER.sub("0", text))
    return json.loads(text)


def adapt(name: str) -> list[Any]:
    source = name.split("/")[0]
    payload = load(name)
    if name.startswith("s3/aws_docs_"):
        return adapt_s3(payload, HASHER, DOC_RULES, received_at=RECEIVED)
    return list(ADAPTERS[source](payload, HASHER, received_at=RECEIVED))


class TestVendorExamples:
    def test_every_fixture_is_expected_and_sourced(self) -> None:
        files = sorted(str(p.relative_to(VENDOR)) for p in VENDOR.glob("*/*") if p.is_file())
        assert files == sorted(EXPECTED)
        sources = (VENDOR / "SOURCES.md").read_text(encoding="utf-8")
        assert [f for f in files if f"`{f}`" not in sources] == []

    @pytest.mark.parametrize("name", sorted(k for k, v in EXPECTED.items() if isinstance(v, list)))
    def test_example_maps_to_its_events(self, name: str) -> None:
        expected = EXPECTED[name]
        events = adapt(name)
        got = [
            Mapped(e.action, e.store, e.categories, e.occurred_at.isoformat(), getattr(e, "activity", None))
            for e in events
        ]
        assert got == expected
        assert all(e.source == name.split("/")[0] for e in events)
        if name in NATIVE_TYPES:
            assert events[0].native_type == NATIVE_TYPES[name]

    @pytest.mark.parametrize("name", sorted(k for k, v in EXPECTED.items() if isinstance(v, str)))
    def test_example_is_refused_with_its_reason(self, name: str) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt(name)
        assert caught.value.reason == EXPECTED[name]

    @pytest.mark.parametrize("name", sorted(k for k, v in EXPECTED.items() if v))
    def test_no_address_from_the_example_leaves_the_adapter(self, name: str) -> None:
        addresses = re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", (VENDOR / name).read_text("utf-8"))
        try:
            dumped = " ".join(e.model_dump_json() for e in adapt(name))
        except AdapterError as exc:
            dumped = str(exc)
        assert [a for a in addresses if a in dumped] == []

    def test_timeless_examples_need_a_received_time(self) -> None:
        for name in (
            "greenhouse/greenhouse_docs_delete_candidate.json",
            "greenhouse/greenhouse_docs_merge_candidate.json",
            "greenhouse/greenhouse_docs_candidate_anonymized.json",
        ):
            with pytest.raises(AdapterError, match="no time in payload"):
                ADAPTERS["greenhouse"](load(name), HASHER)

    def test_jsonish_repair_touches_only_the_placeholders(self) -> None:
        raw = (VENDOR / "brevo/brevo_docs_marketing_spam.jsonish").read_text("utf-8")
        parsed = load("brevo/brevo_docs_marketing_spam.jsonish")
        assert len(_PLACEHOLDER.findall(raw)) == 2 and parsed["id"] == parsed["camp_id"] == 0
        assert parsed["ts_event"] == 1604933737 and parsed["campaign name"] == "My First Campaign "

    def test_lead_conversion_links_the_converted_contact(self) -> None:
        """The documented lead update names its new contact: the two records are one person."""
        (lead,) = adapt("salesforce/sf_docs_lead_conversion_lead_update.json")
        (contact,) = adapt("salesforce/sf_docs_lead_conversion_contact_create.json")
        assert contact.subject.key in lead.subject.links
        assert contact.subject.links == (HASHER.email("brenda@cardinal.net"),)
