"""The lineage graph, defined once.

Nodes
- ``Subject {key, types}``: a person. ``key`` is the smallest key of its identifiers, so it is
  stable under any arrival order. ``types`` collects roles seen. When the person was first and
  last seen is their holdings' (answers read it there), so a sighting writes no Subject.
- ``Identifier {key}``: the keyed hash of one identifier (an e-mail, a HubSpot contact id...),
  never the raw value. Every identifier identifies exactly one subject.
- ``System {id, name, kind}``: a business application (Brevo, HubSpot...).
- ``Store {id, name, declared}``: where data rests (``brevo/contacts``). ``declared`` is false
  for a store seen in events but missing from the catalog.
- ``Processor {id, name}``: the legal entity that runs a system (or a sub-processor).
- ``Country {code}``: ISO 3166-1 alpha-2.
- ``Holding {id, category, subject_type, purposes, legal_bases, first_seen, last_seen,
  last_event_id, last_event_at, erased_at, consent_withdrawn_at, state}``: one data category of
  one subject in one store. ``purposes`` and ``legal_bases`` are the sorted union of its events'
  (``legal_bases`` absent while no event stated one: the catalog's basis applies then).
  ``state`` is ``held`` or ``erased``/``anonymised``: erased when the latest erasure is at or
  after the latest sighting, so data that comes back after an erasure is held again. Its
  moments (``first_seen``, ``last_seen``, ``last_event_at``, ``written_at``, ``collected_at``,
  ``contact_at``, ``erased_at``, ``consent_withdrawn_at``) are epoch milliseconds, as are the
  CLOCK's: they change on most sightings (``graph.holdings``). Its expiry (``expires_at``,
  ``legal_until``, ``archive_until``) is a DateTime, range-indexed for the expiry answers.
- ``Tally {subject, kinds}``, ``HeldCount``, ``StoreSetCount``, ``TallyState`` and
  ``TallyQueue``: counts of held data per kind and per set of stores, kept up to date beside the
  graph so that store-wide answers need not count millions of holdings (``graph.tally``).
- ``Consent {id, purpose, given_at, given_event, withdrawn_at, withdrawn_event, changed_at}``:
  one person's consent for one purpose, the latest consent given and the latest withdrawal
  (``graph.consent``); ``changed_at`` is lineage's clock of the last change.
- ``Migration {id}``: a conversion of a graph written by an older version, done
  (``graph.schema``).
- ``AuditEntry {seq, at, actor, role, kind, action, target, outcome, address, prev_hash, hash}``
  and one ``AuditHead {id, seq, hash, anchor_seq, anchor_hash, purged, anchor_seal}``: the audit
  trail, a hash chain (``graph.audit``, ``lineage.domain.audit``).

Relationships
- ``(Identifier)-[:IDENTIFIES]->(Subject)``: events find their subject through this.
- ``(Subject)-[:HAS_HOLDING]->(Holding)-[:IN_STORE]->(Store)``
- ``(System)-[:HAS_STORE]->(Store)-[:RUN_BY]->(Processor)``
- ``(Store)-[:LOCATED_IN]->(Country)``, ``(Processor)-[:ESTABLISHED_IN]->(Country)``
- ``(Processor)-[:SUB_PROCESSOR]->(Processor)``
- ``(Store)-[:FLOWS_TO {categories, first_seen, last_seen}]->(Store)``: observed copies/transfers,
  and ``(Subject)-[:MOVED {src}]->(Store)`` per person carried (the flow's volume).
- ``(Alert {id, kind, status, severity, store, chain, country, reason, first_seen,
  last_seen})-[:ON_STORE]->(Store)`` and ``-[:CONCERNS]->(Subject)``: one per unapproved flow
  (and per overdue store+rule, late erasure request, reappearance); its count is the number of
  subjects it concerns, counted when read.
- ``(Subject)-[:HAS_CONSENT]->(Consent)``: one per purpose the person gave or withdrew consent for.
- ``(Subject)-[:CLOCK]->(Store)``: store-wide retention moments (a click is contact for all
  the person has there); holding-level ones are properties of the Holding (``graph.holdings``).
- ``(Hold)-[:HOLDS]->(Subject)``, a person's hold; a hold on a store, a system or the organisation
  is linked to nobody (``graph.holds``); ``(Request {kind})-[:FOR]->(Subject)`` and
  ``-[:HAS_TASK]->(RequestTask)``: a rights request of any kind (access, portability,
  rectification, restriction, objection, erasure) and one task per store it reaches
  (``graph.requests``); a restriction or objection carries ``in_force``, ``in_force_since``,
  ``purposes``, and ``changed_at`` on every write.

Every write is a MERGE with min/max/union updates keyed by event time, so replaying a topic
from the start leaves the graph as it was. When two subjects turn out to be one person
(``graph.identity``), the one with the larger key is folded into the other with the same rules.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    SUBJECT = "Subject"
    IDENTIFIER = "Identifier"
    SYSTEM = "System"
    STORE = "Store"
    PROCESSOR = "Processor"
    COUNTRY = "Country"
    HOLDING = "Holding"
    CONSENT = "Consent"
    ALERT = "Alert"
    HOLD = "Hold"
    REQUEST = "Request"
    REQUEST_TASK = "RequestTask"
    BREACH = "Breach"
    # graph.tally's counts of held data; no relationships, not lineage itself
    TALLY = "Tally"
    TALLY_STATE = "TallyState"
    HELD_COUNT = "HeldCount"
    STORE_SET_COUNT = "StoreSetCount"
    # graph.audit's tamper-evident trail of who did what; no relationships, not lineage itself
    AUDIT_ENTRY = "AuditEntry"
    AUDIT_HEAD = "AuditHead"
    # graph.accounts's who may sign in; no relationships, not lineage itself
    ACCOUNT = "Account"
    API_CLIENT = "ApiClient"
    WEB_SESSION = "WebSession"


# The property that identifies each node label; a uniqueness constraint backs each one.
NODE_KEYS: dict[Label, str] = {
    Label.SUBJECT: "key",
    Label.IDENTIFIER: "key",
    Label.SYSTEM: "id",
    Label.STORE: "id",
    Label.PROCESSOR: "id",
    Label.COUNTRY: "code",
    Label.HOLDING: "id",
    Label.CONSENT: "id",
    Label.ALERT: "id",
    Label.HOLD: "id",
    Label.REQUEST: "id",
    Label.REQUEST_TASK: "id",
    Label.BREACH: "id",
    Label.TALLY: "subject",
    Label.TALLY_STATE: "id",
    Label.HELD_COUNT: "id",
    Label.STORE_SET_COUNT: "id",
    Label.AUDIT_ENTRY: "seq",
    Label.AUDIT_HEAD: "id",
    Label.ACCOUNT: "name",
    Label.API_CLIENT: "name",
    Label.WEB_SESSION: "id",
}
