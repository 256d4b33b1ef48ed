
MATCH (st:Store {id: $store})<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WHERE h.id > $after
WITH st, h, s ORDER BY h.id LIMIT $limit

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
