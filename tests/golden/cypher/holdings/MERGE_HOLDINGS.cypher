
UNWIND $rows AS row
WITH row, row.first_at AS first_at, row.last_at AS last_at, row.written_at AS written_at, row.collected_at AS collected_at, row.contact_at AS contact_at
MATCH (s:Subject {key: row.subject})
FOREACH (_ IN CASE WHEN all(t IN row.types WHERE t IN s.types) THEN [] ELSE [1] END |
  SET s.types = reduce(acc = s.types, y IN row.types | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END))
MERGE (st:Store {id: row.store})
  ON CREATE SET st.declared = false
MERGE (h:Holding {id: row.id})
  ON CREATE SET h.category = row.category, h.subject_type = row.subject_type,
                h.first_seen = first_at, h.last_seen = first_at, h.purposes = [],
                h.last_event_at = first_at, h.last_event_id = row.first_event,
                h.first_event = row.first_event, h.fresh = true
FOREACH (_ IN CASE WHEN h.fresh THEN [1] ELSE [] END |
  CREATE (s)-[:HAS_HOLDING]->(h)
  CREATE (h)-[:IN_STORE]->(st))
WITH s, st, h, row, first_at, last_at, written_at, collected_at, contact_at, properties(h) AS hp
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
WITH st, h, row, first_at, last_at, written_at, collected_at, contact_at, hp, properties(c) AS cp
WITH st, h, row, hp, cp, {first_event: CASE WHEN coalesce(hp.tombstone, false) OR first_at < hp.first_seen OR (first_at = hp.first_seen AND row.first_event < hp.first_event) THEN row.first_event ELSE hp.first_event END,
     subject_type: CASE WHEN coalesce(hp.tombstone, false) OR first_at < hp.first_seen OR (first_at = hp.first_seen AND row.first_event < hp.first_event) THEN row.subject_type ELSE hp.subject_type END,
     first_seen: CASE WHEN coalesce(hp.tombstone, false) OR first_at < hp.first_seen THEN first_at ELSE hp.first_seen END,
     last_seen: CASE WHEN coalesce(hp.tombstone, false) OR last_at > hp.last_seen THEN last_at ELSE hp.last_seen END,
     tombstone: null,
     fresh: null,
     purposes: reduce(acc = hp.purposes, y IN row.purposes | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END),
     legal_bases: CASE WHEN size(row.legal_bases) = 0 THEN hp.legal_bases ELSE reduce(acc = coalesce(hp.legal_bases, []), y IN row.legal_bases | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END) END,
     written_event: CASE WHEN written_at IS NOT NULL AND (hp.written_at IS NULL OR written_at > hp.written_at OR (written_at = hp.written_at AND row.written_event > hp.written_event)) THEN row.written_event ELSE hp.written_event END,
     written_at: CASE WHEN written_at IS NOT NULL AND (hp.written_at IS NULL OR written_at > hp.written_at OR (written_at = hp.written_at AND row.written_event > hp.written_event)) THEN written_at ELSE hp.written_at END,
     collected_event: CASE WHEN collected_at IS NOT NULL AND (hp.collected_at IS NULL OR collected_at > hp.collected_at OR (collected_at = hp.collected_at AND row.collected_event > hp.collected_event)) THEN row.collected_event ELSE hp.collected_event END,
     collected_at: CASE WHEN collected_at IS NOT NULL AND (hp.collected_at IS NULL OR collected_at > hp.collected_at OR (collected_at = hp.collected_at AND row.collected_event > hp.collected_event)) THEN collected_at ELSE hp.collected_at END,
     contact_event: CASE WHEN contact_at IS NOT NULL AND (hp.contact_at IS NULL OR contact_at > hp.contact_at OR (contact_at = hp.contact_at AND row.contact_event > hp.contact_event)) THEN row.contact_event ELSE hp.contact_event END,
     contact_at: CASE WHEN contact_at IS NOT NULL AND (hp.contact_at IS NULL OR contact_at > hp.contact_at OR (contact_at = hp.contact_at AND row.contact_event > hp.contact_event)) THEN contact_at ELSE hp.contact_at END,
     erasure: CASE WHEN cp.erased_at IS NOT NULL AND (hp.erased_at IS NULL OR cp.erased_at > hp.erased_at) THEN coalesce(cp.erasure, 'erased') ELSE hp.erasure END,
     erased_at: CASE WHEN cp.erased_at IS NOT NULL AND (hp.erased_at IS NULL OR cp.erased_at > hp.erased_at) THEN cp.erased_at ELSE hp.erased_at END,
     consent_withdrawn_at: CASE WHEN cp.consent_withdrawn_at IS NOT NULL AND (hp.consent_withdrawn_at IS NULL OR cp.consent_withdrawn_at > hp.consent_withdrawn_at)
                                  THEN cp.consent_withdrawn_at ELSE hp.consent_withdrawn_at END,
     last_event_at: (reduce(m = [hp.last_event_at, hp.last_event_id], p IN [[last_at, row.last_event], [cp.erased_at, cp.erased_event], [cp.consent_withdrawn_at, cp.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[0],
     last_event_id: (reduce(m = [hp.last_event_at, hp.last_event_id], p IN [[last_at, row.last_event], [cp.erased_at, cp.erased_event], [cp.consent_withdrawn_at, cp.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[1],
     state: CASE WHEN (CASE WHEN cp.erased_at IS NOT NULL AND (hp.erased_at IS NULL OR cp.erased_at > hp.erased_at) THEN cp.erased_at ELSE hp.erased_at END) IS NOT NULL AND (CASE WHEN cp.erased_at IS NOT NULL AND (hp.erased_at IS NULL OR cp.erased_at > hp.erased_at) THEN cp.erased_at ELSE hp.erased_at END) >= (CASE WHEN coalesce(hp.tombstone, false) OR last_at > hp.last_seen THEN last_at ELSE hp.last_seen END)
                     THEN CASE WHEN cp.erased_at IS NOT NULL AND (hp.erased_at IS NULL OR cp.erased_at > hp.erased_at) THEN coalesce(cp.erasure, 'erased') ELSE hp.erasure END ELSE 'held' END} AS new
FOREACH (k IN [k IN keys(new) WHERE (new[k] IS NULL) <> (hp[k] IS NULL) OR new[k] <> hp[k]] | SET h[k] = new[k])
WITH st, h, row, hp, cp, new, hp {.*, first_event: new.first_event, subject_type: new.subject_type, first_seen: new.first_seen, last_seen: new.last_seen, tombstone: new.tombstone, fresh: new.fresh, purposes: new.purposes, legal_bases: new.legal_bases, written_event: new.written_event, written_at: new.written_at, collected_event: new.collected_event, collected_at: new.collected_at, contact_event: new.contact_event, contact_at: new.contact_at, erasure: new.erasure, erased_at: new.erased_at, consent_withdrawn_at: new.consent_withdrawn_at, last_event_at: new.last_event_at, last_event_id: new.last_event_id, state: new.state} AS hv
WITH st, h, cp, hv, row.subject AS subject,
     row.refresh = 'always' OR (row.refresh = 'if_first'
       AND (hp.expiry_checked IS NULL OR new.first_event = row.first_event)) AS refresh,
     coalesce(hp.fresh, false) OR hp.state IS NULL OR hp.state <> new.state
       OR hp.subject_type <> new.subject_type AS kind_changed
WITH *, CASE WHEN cp.contact_at IS NOT NULL
                  AND (hv.contact_at IS NULL OR cp.contact_at > hv.contact_at)
             THEN cp ELSE hv END AS contact
RETURN collect(CASE WHEN refresh THEN [subject, true, kind_changed, hv.id, st.id, hv.category, hv.purposes, hv.subject_type,
       hv.first_seen, hv.first_event,
       hv.written_at, hv.written_event, hv.collected_at, hv.collected_event,
       contact.contact_at, contact.contact_event,
       cp.contract_end_at, cp.contract_end_event,
       cp.account_closure_at, cp.account_closure_event,
       cp.rejection_at, cp.rejection_event,
       cp.last_purchase_at, cp.last_purchase_event,
       cp.session_end_at, cp.session_end_event,
       hv.expires_at.epochMillis, hv.retention_rule, hv.retention_moment, hv.expiry_event,
       hv.legal_rule, hv.legal_until.epochMillis, hv.expiry_action, hv.archive_until.epochMillis,
       hv.expiry_checked, elementId(h)]
                    ELSE [subject, false, kind_changed, hv.id, st.id, hv.category] END) AS written
