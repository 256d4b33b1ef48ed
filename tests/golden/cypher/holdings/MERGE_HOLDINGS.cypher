
UNWIND $rows AS row
WITH row, row.first_at AS first_at, row.last_at AS last_at, row.written_at AS written_at, row.collected_at AS collected_at, row.contact_at AS contact_at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
SET s.first_seen = CASE WHEN s.first_seen IS NULL OR first_at < s.first_seen.epochMillis
                        THEN datetime({epochMillis: first_at}) ELSE s.first_seen END,
    s.last_seen = CASE WHEN s.last_seen IS NULL OR last_at > s.last_seen.epochMillis
                       THEN datetime({epochMillis: last_at}) ELSE s.last_seen END,
    s.types = reduce(acc = s.types, y IN row.types | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END)
MERGE (st:Store {id: row.store})
  ON CREATE SET st.declared = false
MERGE (h:Holding {id: s.key + '|' + row.store + '|' + row.category})
  ON CREATE SET h.category = row.category, h.subject_type = row.subject_type,
                h.first_seen = first_at, h.last_seen = first_at, h.purposes = [],
                h.last_event_at = first_at, h.last_event_id = row.first_event,
                h.first_event = row.first_event, h.fresh = true
FOREACH (_ IN CASE WHEN h.fresh THEN [1] ELSE [] END |
  MERGE (s)-[:HAS_HOLDING]->(h)
  MERGE (h)-[:IN_STORE]->(st))
WITH s, st, h, row, first_at, last_at, written_at, collected_at, contact_at, h.fresh AS fresh, h.state AS was_state, h.subject_type AS was_type
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
SET h.first_event = CASE WHEN coalesce(h.tombstone, false) OR first_at < h.first_seen OR (first_at = h.first_seen AND row.first_event < h.first_event) THEN row.first_event ELSE h.first_event END,
    h.subject_type = CASE WHEN coalesce(h.tombstone, false) OR first_at < h.first_seen OR (first_at = h.first_seen AND row.first_event < h.first_event) THEN row.subject_type ELSE h.subject_type END,
    h.first_seen = CASE WHEN coalesce(h.tombstone, false) OR first_at < h.first_seen THEN first_at ELSE h.first_seen END,
    h.last_seen = CASE WHEN coalesce(h.tombstone, false) OR last_at > h.last_seen THEN last_at ELSE h.last_seen END,
    h.tombstone = null,
    h.fresh = null,
    h.purposes = reduce(acc = h.purposes, y IN row.purposes | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END),
    h.legal_bases = CASE WHEN size(row.legal_bases) = 0 THEN h.legal_bases
                           ELSE reduce(acc = coalesce(h.legal_bases, []), y IN row.legal_bases | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END) END,
    h.written_event = CASE WHEN written_at IS NOT NULL AND (h.written_at IS NULL OR written_at > h.written_at OR (written_at = h.written_at AND row.written_event > h.written_event)) THEN row.written_event ELSE h.written_event END, h.written_at = CASE WHEN written_at IS NOT NULL AND (h.written_at IS NULL OR written_at > h.written_at OR (written_at = h.written_at AND row.written_event > h.written_event)) THEN written_at ELSE h.written_at END,
    h.collected_event = CASE WHEN collected_at IS NOT NULL AND (h.collected_at IS NULL OR collected_at > h.collected_at OR (collected_at = h.collected_at AND row.collected_event > h.collected_event)) THEN row.collected_event ELSE h.collected_event END, h.collected_at = CASE WHEN collected_at IS NOT NULL AND (h.collected_at IS NULL OR collected_at > h.collected_at OR (collected_at = h.collected_at AND row.collected_event > h.collected_event)) THEN collected_at ELSE h.collected_at END,
    h.contact_event = CASE WHEN contact_at IS NOT NULL AND (h.contact_at IS NULL OR contact_at > h.contact_at OR (contact_at = h.contact_at AND row.contact_event > h.contact_event)) THEN row.contact_event ELSE h.contact_event END, h.contact_at = CASE WHEN contact_at IS NOT NULL AND (h.contact_at IS NULL OR contact_at > h.contact_at OR (contact_at = h.contact_at AND row.contact_event > h.contact_event)) THEN contact_at ELSE h.contact_at END,
    h.erasure = CASE WHEN c.erased_at IS NOT NULL AND (h.erased_at IS NULL OR c.erased_at > h.erased_at) THEN coalesce(c.erasure, 'erased') ELSE h.erasure END,
    h.erased_at = CASE WHEN c.erased_at IS NOT NULL AND (h.erased_at IS NULL OR c.erased_at > h.erased_at) THEN c.erased_at ELSE h.erased_at END,
    h.consent_withdrawn_at = CASE WHEN c.consent_withdrawn_at IS NOT NULL AND (h.consent_withdrawn_at IS NULL OR c.consent_withdrawn_at > h.consent_withdrawn_at)
                                  THEN c.consent_withdrawn_at ELSE h.consent_withdrawn_at END,
    h.last_event_at = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[last_at, row.last_event], [c.erased_at, c.erased_event], [c.consent_withdrawn_at, c.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[0],
    h.last_event_id = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[last_at, row.last_event], [c.erased_at, c.erased_event], [c.consent_withdrawn_at, c.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[1],
    h.state = CASE WHEN (CASE WHEN c.erased_at IS NOT NULL AND (h.erased_at IS NULL OR c.erased_at > h.erased_at) THEN c.erased_at ELSE h.erased_at END) IS NOT NULL AND (CASE WHEN c.erased_at IS NOT NULL AND (h.erased_at IS NULL OR c.erased_at > h.erased_at) THEN c.erased_at ELSE h.erased_at END) >= (CASE WHEN coalesce(h.tombstone, false) OR last_at > h.last_seen THEN last_at ELSE h.last_seen END)
                     THEN CASE WHEN c.erased_at IS NOT NULL AND (h.erased_at IS NULL OR c.erased_at > h.erased_at) THEN coalesce(c.erasure, 'erased') ELSE h.erasure END ELSE 'held' END

WITH h, st, c, row.subject AS identifier,
     row.refresh = 'always' OR (row.refresh = 'if_first'
       AND (h.expiry_checked IS NULL OR h.first_event = row.first_event)) AS refresh,
     coalesce(fresh, false) OR was_state IS NULL OR was_state <> h.state
       OR was_type <> h.subject_type AS kind_changed
WITH *, CASE WHEN c.contact_at IS NOT NULL AND (h.contact_at IS NULL OR c.contact_at > h.contact_at)
             THEN c ELSE h END AS contact
RETURN collect(CASE WHEN refresh THEN [identifier, true, kind_changed, h.id, st.id, h.category, h.purposes, h.subject_type,
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
       h.expiry_checked]
                    ELSE [identifier, false, kind_changed, h.id, st.id, h.category] END) AS written
