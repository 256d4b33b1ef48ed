"""One person's whole map as an access report (GDPR Art. 15) and a portability export (Art. 20)
need it: every holding with its purposes, legal bases, state, expiry and origin, every store
with its system, processor, countries and sub-processors, and the person's consents.

One read, found by the keyed hash or by the rights request made for the person (the request's
tasks come with it). Origin: a holding whose own contact moment is set was collected from the
person (only such a collection sets it, see ``lineage.domain.retention.moments_marked``); one
reached through ``(s)-[:MOVED {src}]->(store)`` for a category that flow carries was copied
from that store; one collected without contact came from a source other than the person
(the catalog's ``indirect_sources``, Art. 14); anything else the system itself recorded.
Legal bases and consents are read with ``coalesce``: a graph written before they were
recorded answers with none.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graph.reader import from_epoch_ms, plain, read_records

_HOLDING_TIMES = (
    "first_seen",
    "last_seen",
    "expires_at",
    "legal_until",
    "archive_until",
    "erased_at",
    "withdrawn_at",
)
_CONSENT_TIMES = ("given_at", "withdrawn_at")

# The person's map once ``s`` is bound. Holdings and stores in a fixed order, so two graphs
# holding the same give the same report.
_PERSON_MAP = """
CALL (s) {
  MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
  WITH h, st ORDER BY st.id, h.category
  RETURN collect({store: st.id, category: h.category, state: h.state,
                  subject_type: h.subject_type, purposes: coalesce(h.purposes, []),
                  legal_bases: coalesce(h.legal_bases, []),
                  direct: h.contact_at IS NOT NULL, collected: h.collected_at IS NOT NULL,
                  copied_from: COLLECT {
                    MATCH (s)-[m:MOVED]->(st)
                    MATCH (:Store {id: m.src})-[f:FLOWS_TO]->(st)
                    WHERE h.category IN coalesce(f.categories, [])
                    RETURN DISTINCT m.src },
                  first_seen: h.first_seen, last_seen: h.last_seen,
                  expires_at: h.expires_at.epochMillis, rule: h.retention_rule,
                  trigger: h.retention_trigger, legal_rule: h.legal_rule,
                  legal_until: h.legal_until.epochMillis, archive_until: h.archive_until.epochMillis,
                  erased_at: h.erased_at,
                  withdrawn_at: h.consent_withdrawn_at}) AS holdings
}
CALL (s) {
  MATCH (s)-[:HAS_HOLDING]->(:Holding)-[:IN_STORE]->(st:Store)
  WITH DISTINCT st ORDER BY st.id
  OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
  OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
  OPTIONAL MATCH (p)-[:ESTABLISHED_IN]->(pc:Country)
  OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
  CALL (p) {
    OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
    WITH DISTINCT sub, sc ORDER BY sub.id, sc.code
    RETURN collect({id: sub.id, name: sub.name, country: sc.code}) AS subs
  }
  RETURN collect({store: st.id, name: st.name, declared: st.declared, system: sys.id,
                  system_name: sys.name, processor_id: p.id, processor: p.name,
                  processor_country: pc.code, country: c.code,
                  sub_processors: [x IN subs WHERE x.id IS NOT NULL]}) AS stores
}
CALL (s) {
  OPTIONAL MATCH (s)-[:HAS_CONSENT]->(c:Consent)
  WITH c ORDER BY c.purpose
  RETURN collect(CASE WHEN c IS NOT NULL THEN {purpose: c.purpose,
                 given_at: c.given_at.epochMillis, withdrawn_at: c.withdrawn_at.epochMillis} END)
         AS consents
}
"""

ACCESS_MAP = (
    """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)
"""
    + _PERSON_MAP
    + """RETURN s.key AS subject, coalesce(s.types, []) AS subject_types, holdings, stores, consents,
       null AS request
"""
)

# The same map reached through the rights request made for the person, with the request's
# tasks: which system each asks for the copy of the values, and whether it answered.
ACCESS_MAP_FOR_REQUEST = (
    """
MATCH (r:Request {id: $request})-[:FOR]->(s:Subject)
"""
    + _PERSON_MAP
    + """CALL (r) {
  OPTIONAL MATCH (r)-[:HAS_TASK]->(t:RequestTask)
  WITH t ORDER BY t.store, t.id
  RETURN collect(CASE WHEN t IS NOT NULL THEN {id: t.id, store: t.store, system: t.system,
                 processor: t.processor, status: t.status} END) AS tasks
}
RETURN s.key AS subject, coalesce(s.types, []) AS subject_types, holdings, stores, consents,
       {id: r.id, kind: r.kind, received_at: r.received_at, deadline: r.deadline,
        status: r.status, tasks: tasks} AS request
"""
)


def person_access_map(
    driver: Driver, database: str, *, key: str | None = None, request_id: str | None = None
) -> dict[str, Any] | None:
    """The person's map by keyed hash or by request id (exactly one); None when nobody is
    known by it. Times come back as aware UTC datetimes."""
    if (key is None) == (request_id is None):
        raise ValueError("name the person by key or by request_id, not both")
    if request_id is not None:
        records = read_records(driver, database, ACCESS_MAP_FOR_REQUEST, {"request": request_id})
    else:
        records = read_records(driver, database, ACCESS_MAP, {"key": key})
    if not records:
        return None
    row: dict[str, Any] = plain(records[0].data())
    for holding in row["holdings"]:
        _times(holding, _HOLDING_TIMES)
        holding["copied_from"] = sorted(holding["copied_from"])
    for consent in row["consents"]:
        _times(consent, _CONSENT_TIMES)
    if row["request"] is not None:
        for name in ("received_at", "deadline"):
            row["request"][name] = _native(row["request"][name])
    return row


def _native(value: Any) -> Any:
    """A request's time as Python's: however the request recorded it (a Date or a DateTime)."""
    return value.to_native() if hasattr(value, "to_native") else value


def _times(row: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = row.get(name)
        row[name] = from_epoch_ms(value) if isinstance(value, int) else value
