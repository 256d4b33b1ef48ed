
UNWIND $targets AS t
MATCH (:Identifier {key: t.subject})-[:IDENTIFIES]->(s:Subject)
CALL (s, t) {
  WITH s, t WHERE t.category IS NOT NULL
  MATCH (h:Holding {id: s.key + '|' + t.store + '|' + t.category})
  RETURN h
UNION
  WITH s, t WHERE t.category IS NULL AND t.store IS NOT NULL
  MATCH (h:Holding) WHERE h.id STARTS WITH s.key + '|' + t.store + '|'
  RETURN h
UNION
  WITH s, t WHERE t.store IS NULL
  MATCH (s)-[:HAS_HOLDING]->(h:Holding)
  RETURN h
}
MATCH (s)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WHERE (t.store IS NULL OR st.id = t.store)
  AND (t.always OR h.expiry_checked IS NULL OR h.first_event = t.event_id)
WITH DISTINCT s, h, st

OPTIONAL MATCH (s)-[c:CLOCK]->(st)
WITH h, st, c
WITH *, CASE WHEN c.contact_at IS NOT NULL
                  AND (h.contact_at IS NULL OR c.contact_at > h.contact_at)
             THEN c ELSE h END AS contact
RETURN collect([h.id, st.id, h.category, h.purposes, h.subject_type,
       h.first_seen, h.first_event,
       h.written_at, h.written_event, h.collected_at, h.collected_event,
       contact.contact_at, contact.contact_event,
       c.contract_end_at, c.contract_end_event,
       c.account_closure_at, c.account_closure_event,
       c.rejection_at, c.rejection_event,
       c.last_purchase_at, c.last_purchase_event,
       c.session_end_at, c.session_end_event,
       h.expires_at.epochMillis, h.retention_rule, h.retention_moment, h.expiry_event,
       h.legal_rule, h.legal_until.epochMillis, h.expiry_action, h.archive_until.epochMillis,
       h.expiry_checked, elementId(h)]) AS inputs
