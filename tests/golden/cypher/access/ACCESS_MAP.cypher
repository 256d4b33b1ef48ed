
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)

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
RETURN s.key AS subject, coalesce(s.types, []) AS subject_types, holdings, stores, consents,
       null AS request
