"""Event model, subject hashing and catalog validation: pure, no servers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.domain.catalog import normalise_country, parse_catalog
from lineage.domain.events import (
    CollectionEvent,
    ErasureEvent,
    MovementEvent,
    SubjectRef,
    decode_event,
    encode_event,
)
from lineage.domain.subjects import SubjectHasher, SubjectType, normalise_email
from lineage.errors import CatalogError, EventDecodeError
from lineage.settings import Settings

KEY = b"unit-test-key-0123456789"
WHEN = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


def subject(hasher: SubjectHasher) -> SubjectRef:
    return SubjectRef(type=SubjectType.PROSPECT, key=hasher.email("lea.martin@example.fr"))


class TestSubjectHasher:
    def test_same_person_written_differently_hashes_alike(self) -> None:
        hasher = SubjectHasher(KEY)
        assert hasher.email(" Lea.Martin@EXAMPLE.fr\n") == hasher.email("lea.martin@example.fr")

    def test_plus_tags_and_dots_stay_distinct(self) -> None:
        hasher = SubjectHasher(KEY)
        assert hasher.email("lea+news@example.fr") != hasher.email("lea@example.fr")
        assert hasher.email("l.ea@example.fr") != hasher.email("lea@example.fr")

    def test_key_changes_the_hash_and_native_ids_are_namespaced(self) -> None:
        assert SubjectHasher(KEY).email("a@example.fr") != SubjectHasher(KEY + b"x").email("a@example.fr")
        hasher = SubjectHasher(KEY)
        assert hasher.native("hubspot", "90512") != hasher.native("greenhouse", "90512")

    def test_hash_does_not_contain_the_address(self) -> None:
        digest = SubjectHasher(KEY).email("lea.martin@example.fr")
        assert len(digest) == 32 and "lea" not in digest

    @pytest.mark.parametrize("bad", ["", "lea", "lea@", "@example.fr", "lea martin@example.fr", "a@b"])
    def test_rejects_what_is_not_an_address(self, bad: str) -> None:
        with pytest.raises(ValueError):
            normalise_email(bad)

    def test_short_key_is_refused(self) -> None:
        with pytest.raises(ValueError):
            SubjectHasher(b"short")

    def test_missing_key_is_a_clear_config_error(self) -> None:
        from lineage.errors import ConfigError

        with pytest.raises(ConfigError, match="LINEAGE_SUBJECT_KEY"):
            Settings(subject_key=None).require_subject_key()


class TestCanonicalEvent:
    def test_round_trips_through_json(self) -> None:
        event = CollectionEvent(
            event_id="test:00000001",
            occurred_at=WHEN,
            source="brevo",
            action="collected",
            subject=subject(SubjectHasher(KEY)),
            store="brevo/contacts",
            categories=("user.name.first", "user.contact.email", "user.contact.email"),
        )
        decoded = decode_event(encode_event(event))
        assert decoded == event
        assert decoded.categories == ("user.contact.email", "user.name.first")

    def test_discriminates_on_action(self) -> None:
        raw = encode_event(
            ErasureEvent(
                event_id="test:00000002",
                occurred_at=WHEN,
                source="brevo",
                action="erased",
                subject=subject(SubjectHasher(KEY)),
                store="brevo/contacts",
            )
        )
        assert isinstance(decode_event(raw), ErasureEvent)

    def test_transfer_without_destination_is_refused(self) -> None:
        raw = encode_event(
            ErasureEvent(
                event_id="test:00000003",
                occurred_at=WHEN,
                source="s3",
                action="erased",
                subject=subject(SubjectHasher(KEY)),
                store="s3://bucket",
            )
        )
        tampered = raw.replace(b'"erased"', b'"transferred"')
        with pytest.raises(EventDecodeError, match="destination"):
            decode_event(tampered)

    def test_movement_to_itself_is_refused(self) -> None:
        with pytest.raises(ValueError, match="destination"):
            MovementEvent(
                event_id="test:00000004",
                occurred_at=WHEN,
                source="s3",
                action="copied",
                subject=subject(SubjectHasher(KEY)),
                store="a/b",
                destination="a/b",
                categories=("user.content.private",),
            )

    @pytest.mark.parametrize(
        "mutation",
        [
            (b'"user.contact.email"', b'"user.contact.mail"'),  # not a fideslang category
            (b'"2026-03-06T10:00:00Z"', b'"2026-03-06T10:00:00"'),  # naive time
            (b'"schema_version":1', b'"schema_version":2'),  # unknown schema version
            (b'"store"', b'"extra":1,"store"'),  # unknown field
        ],
    )
    def test_strict_schema(self, mutation: tuple[bytes, bytes]) -> None:
        raw = encode_event(
            CollectionEvent(
                event_id="test:00000005",
                occurred_at=WHEN,
                source="brevo",
                action="collected",
                subject=subject(SubjectHasher(KEY)),
                store="brevo/contacts",
                categories=("user.contact.email",),
            )
        )
        assert mutation[0] in raw
        with pytest.raises(EventDecodeError):
            decode_event(raw.replace(*mutation))

    def test_collection_needs_a_category(self) -> None:
        with pytest.raises(ValueError, match="category"):
            CollectionEvent(
                event_id="test:00000006",
                occurred_at=WHEN,
                source="brevo",
                action="collected",
                subject=subject(SubjectHasher(KEY)),
                store="brevo/contacts",
            )


class TestCatalog:
    def test_demo_catalog_validates(self) -> None:
        catalog = parse_catalog(Settings().catalog.read_text())
        stores = {store.id: store for _, store in catalog.stores()}
        assert stores["brevo/contacts"].country == "FR"
        assert catalog.processor("google").country == "US"

    @pytest.mark.parametrize("code,expected", [("fr", "FR"), ("UK", "GB"), ("EL", "GR")])
    def test_country_spellings(self, code: str, expected: str) -> None:
        assert normalise_country(code) == expected

    def test_dangling_references_are_all_reported(self) -> None:
        text = """
organisation: x
processors: [{id: a, name: A, country: FR, sub_processors: [ghost]}]
systems:
  - {id: s, name: S, kind: crm, processor: nobody, stores: [{id: s/x, country: FR}]}
  - {id: t, name: T, kind: crm, processor: a, stores: [{id: s/x, country: FR}]}
retention:
  - {store: s/missing, duration: {years: 1}, trigger: collection}
"""
        with pytest.raises(CatalogError) as err:
            parse_catalog(text, "bad.yaml")
        message = str(err.value)
        for fragment in ("bad.yaml", "nobody", "ghost", "s/missing", "duplicate store id 's/x'"):
            assert fragment in message

    def test_unknown_country_is_named(self) -> None:
        text = """
organisation: x
processors: [{id: a, name: A, country: ZZ}]
systems: []
"""
        with pytest.raises(CatalogError, match="ZZ"):
            parse_catalog(text, "bad.yaml")

    def test_not_yaml(self) -> None:
        with pytest.raises(CatalogError, match="not valid YAML"):
            parse_catalog("a: [", "broken.yaml")


class TestIdentifierKey:
    def test_email_system_id_and_full_namespace(self) -> None:
        from lineage.domain.subjects import identifier_key

        hasher = SubjectHasher(KEY)
        assert identifier_key(hasher, "Lea@Example.fr") == hasher.email("lea@example.fr")
        assert identifier_key(hasher, "hubspot:90512") == hasher.native("hubspot:contact", "90512")
        assert identifier_key(hasher, "salesforce:lead:00Q5") == hasher.native("salesforce:lead", "00Q5")
        with pytest.raises(ValueError, match="system:id"):
            identifier_key(hasher, "90512")
