"""Which processing a person's restriction, objection or withdrawn consent forbids (pure), and
the worker's cache of those states as the normalise stage uses it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.domain.events import DataMovementEvent, LegalBasis, decode_event
from lineage.domain.rights_alerts import (
    Consent,
    Held,
    Limit,
    PersonRights,
    RightsAlert,
    RightsHit,
    SubjectRights,
    alert_id,
    by_identifier,
    covers,
    event_processing,
    rights_hits,
)

ANA, ANA_CRM, BOB = "a" * 32, "0" * 32, "b" * 32
EMAIL = "marketing.communications.email"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def event(
    n: int,
    hours: float,
    *,
    key: str = ANA,
    action: str = "activity",
    purpose: str | None = EMAIL,
    basis: str | None = "consent",
    store: str = "brevo/contacts",
    links: tuple[str, ...] = (),
) -> DataMovementEvent:
    body: dict[str, Any] = {
        "event_id": f"evt-{n:04d}",
        "occurred_at": at(hours).isoformat(),
        "source": "demo",
        "store": store,
        "action": action,
        "categories": ["user.contact.email"],
        "subject": {"type": "newsletter_subscriber", "key": key, "links": list(links)},
    }
    if action == "activity":
        body["activity"] = "delivered"
    if purpose is not None:
        body["purpose"] = purpose
    if basis is not None and action not in ("consent_withdrawn", "consent_given"):
        body["legal_basis"] = basis
    return decode_event(json.dumps(body))


def stated(store: str, purpose: str | None, basis: LegalBasis | None) -> LegalBasis | None:
    """The catalog of these tests: the event's basis, else consent for marketing."""
    if basis is not None:
        return basis
    return LegalBasis.CONSENT if purpose and purpose.startswith("marketing") else None


def judge(
    events: list[DataMovementEvent], state: SubjectRights, grace: timedelta = timedelta(0)
) -> list[RightsHit]:
    return rights_hits(event_processing(events, stated), {ANA: state, ANA_CRM: state}, grace)


RESTRICTED = SubjectRights(ANA_CRM, limits=(Limit("rs-0000000000000001", "restriction", at(0)),))
OBJECTED = SubjectRights(ANA_CRM, limits=(Limit("ob-0000000000000001", "objection", at(0), ("marketing",)),))
WITHDRAWN = SubjectRights(ANA_CRM, consents=(Consent(EMAIL, at(-48), at(0), "evt-unsub"),))


class TestRestriction:
    def test_processing_from_the_restriction_on_raises_it_and_not_before(self) -> None:
        hits = judge([event(1, -1), event(2, 0), event(3, 5, action="collected", basis=None)], RESTRICTED)
        assert [h.processing.event_id for h in hits] == ["evt-0002", "evt-0003"]
        assert {h.kind for h in hits} == {RightsAlert.RESTRICTED}
        assert len({h.id for h in hits}) == 1  # one alert per person and request

    def test_a_lifted_restriction_raises_nothing(self) -> None:
        lifted = SubjectRights(
            ANA_CRM, limits=(Limit("rs-0000000000000001", "restriction", at(0), (), False),)
        )
        assert judge([event(1, 5)], lifted) == []

    def test_erasures_consents_and_other_people_are_not_processing(self) -> None:
        events = [
            event(1, 5, action="erased", purpose=None),
            event(2, 5, action="consent_withdrawn"),
            event(3, 5, key=BOB),
        ]
        assert judge(events, RESTRICTED) == []

    def test_an_event_naming_another_identifier_of_the_person_hits(self) -> None:
        (hit,) = judge([event(1, 5, key="c" * 32, links=(ANA,))], RESTRICTED)
        assert hit.row()["subject"] == "c" * 32
        assert hit.id == judge([event(2, 6)], RESTRICTED)[0].id


class TestObjection:
    def test_the_objected_purpose_and_its_descendants_raise_it_other_purposes_do_not(self) -> None:
        events = [
            event(1, 5),  # marketing.communications.email: under marketing
            event(2, 6, purpose="marketing.advertising.profiling", basis="legitimate_interests"),
            event(3, 7, purpose="essential.service.notifications.email", basis="contract"),
            event(4, 8, purpose=None, basis=None),
            event(5, -2),  # before the objection
        ]
        hits = judge(events, OBJECTED)
        assert [h.processing.event_id for h in hits] == ["evt-0001", "evt-0002"]
        assert hits[-1].purpose == "marketing.advertising.profiling"

    def test_covers_only_descendants(self) -> None:
        assert covers("marketing", "marketing.communications.email")
        assert covers("marketing", "marketing")
        assert not covers("marketing", "marketingish")
        assert not covers("marketing.communications", "marketing")
        assert not covers("marketing", None)


class TestWithdrawal:
    def test_processing_on_consent_after_the_withdrawal_raises_it(self) -> None:
        (hit,) = judge([event(1, -1), event(2, 3)], WITHDRAWN)
        assert hit.kind == RightsAlert.WITHDRAWN and hit.ref == EMAIL
        assert hit.id == alert_id(RightsAlert.WITHDRAWN, f"{EMAIL}|evt-unsub")
        assert hit.id.startswith("processing_after_withdrawal-") and len(hit.id.split("-")[-1]) == 16

    def test_other_purposes_and_other_bases_raise_nothing(self) -> None:
        events = [
            event(1, 3, purpose="essential.service.notifications.email", basis="contract"),
            event(2, 3, basis="contract"),  # the same purpose on a contract is not consent
        ]
        assert judge(events, WITHDRAWN) == []

    def test_the_catalogs_basis_applies_when_the_event_states_none(self) -> None:
        assert len(judge([event(1, 3, basis=None)], WITHDRAWN)) == 1

    def test_within_the_grace_nothing_after_it_the_alert(self) -> None:
        events = [event(1, 0.5), event(2, 2)]
        hits = judge(events, WITHDRAWN, grace=timedelta(hours=1))
        assert [h.processing.event_id for h in hits] == ["evt-0002"]

    def test_consent_given_again_covers_what_follows_not_what_came_between(self) -> None:
        again = SubjectRights(ANA_CRM, consents=(Consent(EMAIL, at(4), at(0), "evt-unsub"),))
        hits = judge([event(1, 2), event(2, 4), event(3, 6)], again)
        assert [h.processing.event_id for h in hits] == ["evt-0001"]

    def test_the_withdrawal_itself_is_no_evidence(self) -> None:
        person = PersonRights((ANA,), WITHDRAWN, (Held("brevo/contacts", at(0), "evt-unsub", (EMAIL,), ()),))
        assert rights_hits(person.processing(stated), by_identifier([person])) == []


class TestHeld:
    def test_holdings_seen_after_a_withdrawal_stored_late_raise_it_with_their_last_event(self) -> None:
        person = PersonRights(
            (ANA, ANA_CRM),
            WITHDRAWN,
            (
                Held("brevo/contacts", at(2), "evt-later", (EMAIL,), ("consent",)),
                Held("brevo/transactional", at(2), "evt-mail", ("essential.service",), ("contract",)),
            ),
        )
        (hit,) = rights_hits(person.processing(stated), by_identifier([person]))
        assert hit.processing.event_id == "evt-later"
        assert "evt-later" in hit.row()["reason"]  # type: ignore[operator]


class TestRows:
    def test_a_row_names_the_request_and_the_event_never_an_identifier(self) -> None:
        (hit,) = judge([event(7, 1)], RESTRICTED)
        row = hit.row()
        assert row["kind"] == "processing_while_restricted" and row["severity"] == "high"
        assert row["store"] == "brevo/contacts" and row["event_id"] == "evt-0007"
        reason = str(row["reason"])
        assert "rs-0000000000000001" in reason and "evt-0007" in reason
        assert ANA not in reason and ANA_CRM not in reason

    def test_ids_hang_on_the_request_or_the_withdrawal_never_on_the_persons_key(self) -> None:
        """The stream's view of a person (no Subject key yet) and the graph's after an identity
        merge (another key) raise one alert."""
        for state in (RESTRICTED, WITHDRAWN):
            seen = [judge([event(1, 1)], replace(state, subject=subject))[0].id for subject in (None, BOB)]
            assert seen[0] == seen[1] == judge([event(1, 1)], state)[0].id

    def test_a_new_withdrawal_is_a_new_alert_a_withdrawal_without_its_event_is_the_persons(self) -> None:
        again = SubjectRights(ANA_CRM, consents=(Consent(EMAIL, at(-48), at(0), "evt-unsub-2"),))
        assert judge([event(1, 1)], again)[0].id != judge([event(1, 1)], WITHDRAWN)[0].id
        bare = SubjectRights(ANA_CRM, consents=(Consent(EMAIL, at(-48), at(0), None),))
        assert judge([event(1, 1)], bare)[0].id == alert_id(RightsAlert.WITHDRAWN, f"{ANA_CRM}|{EMAIL}")

    def test_the_latest_processing_comes_last_so_the_alert_names_it(self) -> None:
        hits = judge([event(2, 9), event(1, 3)], RESTRICTED)
        assert [h.processing.event_id for h in hits] == ["evt-0001", "evt-0002"]


class TestWatch:
    """The normalise stage's cache: a withdrawal in the stream bites at once."""

    def _watch(self, grace_s: float = 0.0) -> Any:
        from lineage.answers.live_catalog import LiveCatalog
        from lineage.settings import Settings
        from streams.rights_watch import RightsWatch

        settings = Settings(consent_grace_s=grace_s)
        return RightsWatch(settings, LiveCatalog.load(settings.catalog))

    def test_an_unsubscribe_then_a_delivery_in_one_batch_hits_without_the_graph(self) -> None:
        watch = self._watch()
        assert watch.hits([event(1, 1)]) == []
        (hit,) = watch.hits([event(3, 2), event(2, 1, action="consent_withdrawn")])
        assert hit.kind == RightsAlert.WITHDRAWN
        # the graph's record of the same withdrawal gives the same id
        recorded = SubjectRights(ANA_CRM, consents=(Consent(EMAIL, None, at(1), "evt-0002"),))
        assert hit.id == judge([event(3, 2)], recorded)[0].id

    def test_consent_given_for_someone_unknown_is_not_held(self) -> None:
        watch = self._watch()
        watch.hits([event(1, 1, action="consent_given")])
        assert watch._people == {}

    def test_the_graphs_word_replaces_the_streams(self) -> None:
        watch = self._watch()
        watch.hits([event(1, 1, action="consent_withdrawn")])
        watch._learn(PersonRights((ANA, ANA_CRM), RESTRICTED))
        assert set(watch._people) == {ANA_CRM}
        (hit,) = watch.hits([event(2, 5, purpose="essential.service", basis="contract")])
        assert hit.kind == RightsAlert.RESTRICTED and hit.id == judge([event(2, 5)], RESTRICTED)[0].id
