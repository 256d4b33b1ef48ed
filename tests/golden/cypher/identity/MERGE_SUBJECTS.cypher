
UNWIND $rows AS row
MATCH (w:Subject {key: row.winner}), (l:Subject {key: row.loser})
SET w.types = reduce(acc = coalesce(w.types, []), y IN coalesce(l.types, []) | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END)
WITH w, l
CALL (w, l) {
  MATCH (x:Identifier)-[r:IDENTIFIES]->(l)
  DELETE r
  MERGE (x)-[:IDENTIFIES]->(w)
}
CALL (w, l) {
  MATCH (x:Alert)-[r:CONCERNS]->(l)
  DELETE r
  MERGE (x)-[:CONCERNS]->(w)
}
CALL (w, l) {
  MATCH (x:Hold)-[r:HOLDS]->(l)
  DELETE r
  MERGE (x)-[:HOLDS]->(w)
}
CALL (w, l) {
  MATCH (x:Request)-[r:FOR]->(l)
  DELETE r
  MERGE (x)-[:FOR]->(w)
}
CALL (w, l) {
  MATCH (l)-[m:MOVED]->(dst:Store)
  MERGE (w)-[:MOVED {src: m.src}]->(dst)
  DELETE m
}
CALL (w, l) {
  MATCH (l)-[lc:CLOCK]->(st:Store)
  MERGE (w)-[wc:CLOCK]->(st)
  SET wc.erasure = CASE WHEN lc.erased_at IS NOT NULL
                             AND (wc.erased_at IS NULL OR lc.erased_at > wc.erased_at)
                        THEN lc.erasure ELSE wc.erasure END
  SET wc.contact_event = CASE WHEN lc.contact_at IS NOT NULL AND (wc.contact_at IS NULL OR lc.contact_at > wc.contact_at OR (lc.contact_at = wc.contact_at AND lc.contact_event > wc.contact_event)) THEN lc.contact_event ELSE wc.contact_event END, wc.contact_at = CASE WHEN lc.contact_at IS NOT NULL AND (wc.contact_at IS NULL OR lc.contact_at > wc.contact_at OR (lc.contact_at = wc.contact_at AND lc.contact_event > wc.contact_event)) THEN lc.contact_at ELSE wc.contact_at END,
    wc.contract_end_event = CASE WHEN lc.contract_end_at IS NOT NULL AND (wc.contract_end_at IS NULL OR lc.contract_end_at > wc.contract_end_at OR (lc.contract_end_at = wc.contract_end_at AND lc.contract_end_event > wc.contract_end_event)) THEN lc.contract_end_event ELSE wc.contract_end_event END, wc.contract_end_at = CASE WHEN lc.contract_end_at IS NOT NULL AND (wc.contract_end_at IS NULL OR lc.contract_end_at > wc.contract_end_at OR (lc.contract_end_at = wc.contract_end_at AND lc.contract_end_event > wc.contract_end_event)) THEN lc.contract_end_at ELSE wc.contract_end_at END,
    wc.account_closure_event = CASE WHEN lc.account_closure_at IS NOT NULL AND (wc.account_closure_at IS NULL OR lc.account_closure_at > wc.account_closure_at OR (lc.account_closure_at = wc.account_closure_at AND lc.account_closure_event > wc.account_closure_event)) THEN lc.account_closure_event ELSE wc.account_closure_event END, wc.account_closure_at = CASE WHEN lc.account_closure_at IS NOT NULL AND (wc.account_closure_at IS NULL OR lc.account_closure_at > wc.account_closure_at OR (lc.account_closure_at = wc.account_closure_at AND lc.account_closure_event > wc.account_closure_event)) THEN lc.account_closure_at ELSE wc.account_closure_at END,
    wc.rejection_event = CASE WHEN lc.rejection_at IS NOT NULL AND (wc.rejection_at IS NULL OR lc.rejection_at > wc.rejection_at OR (lc.rejection_at = wc.rejection_at AND lc.rejection_event > wc.rejection_event)) THEN lc.rejection_event ELSE wc.rejection_event END, wc.rejection_at = CASE WHEN lc.rejection_at IS NOT NULL AND (wc.rejection_at IS NULL OR lc.rejection_at > wc.rejection_at OR (lc.rejection_at = wc.rejection_at AND lc.rejection_event > wc.rejection_event)) THEN lc.rejection_at ELSE wc.rejection_at END,
    wc.last_purchase_event = CASE WHEN lc.last_purchase_at IS NOT NULL AND (wc.last_purchase_at IS NULL OR lc.last_purchase_at > wc.last_purchase_at OR (lc.last_purchase_at = wc.last_purchase_at AND lc.last_purchase_event > wc.last_purchase_event)) THEN lc.last_purchase_event ELSE wc.last_purchase_event END, wc.last_purchase_at = CASE WHEN lc.last_purchase_at IS NOT NULL AND (wc.last_purchase_at IS NULL OR lc.last_purchase_at > wc.last_purchase_at OR (lc.last_purchase_at = wc.last_purchase_at AND lc.last_purchase_event > wc.last_purchase_event)) THEN lc.last_purchase_at ELSE wc.last_purchase_at END,
    wc.session_end_event = CASE WHEN lc.session_end_at IS NOT NULL AND (wc.session_end_at IS NULL OR lc.session_end_at > wc.session_end_at OR (lc.session_end_at = wc.session_end_at AND lc.session_end_event > wc.session_end_event)) THEN lc.session_end_event ELSE wc.session_end_event END, wc.session_end_at = CASE WHEN lc.session_end_at IS NOT NULL AND (wc.session_end_at IS NULL OR lc.session_end_at > wc.session_end_at OR (lc.session_end_at = wc.session_end_at AND lc.session_end_event > wc.session_end_event)) THEN lc.session_end_at ELSE wc.session_end_at END,
    wc.erased_event = CASE WHEN lc.erased_at IS NOT NULL AND (wc.erased_at IS NULL OR lc.erased_at > wc.erased_at OR (lc.erased_at = wc.erased_at AND lc.erased_event > wc.erased_event)) THEN lc.erased_event ELSE wc.erased_event END, wc.erased_at = CASE WHEN lc.erased_at IS NOT NULL AND (wc.erased_at IS NULL OR lc.erased_at > wc.erased_at OR (lc.erased_at = wc.erased_at AND lc.erased_event > wc.erased_event)) THEN lc.erased_at ELSE wc.erased_at END,
    wc.consent_withdrawn_event = CASE WHEN lc.consent_withdrawn_at IS NOT NULL AND (wc.consent_withdrawn_at IS NULL OR lc.consent_withdrawn_at > wc.consent_withdrawn_at OR (lc.consent_withdrawn_at = wc.consent_withdrawn_at AND lc.consent_withdrawn_event > wc.consent_withdrawn_event)) THEN lc.consent_withdrawn_event ELSE wc.consent_withdrawn_event END, wc.consent_withdrawn_at = CASE WHEN lc.consent_withdrawn_at IS NOT NULL AND (wc.consent_withdrawn_at IS NULL OR lc.consent_withdrawn_at > wc.consent_withdrawn_at OR (lc.consent_withdrawn_at = wc.consent_withdrawn_at AND lc.consent_withdrawn_event > wc.consent_withdrawn_event)) THEN lc.consent_withdrawn_at ELSE wc.consent_withdrawn_at END
  DELETE lc
  WITH w, st, wc
  MATCH (w)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st)
  WHERE wc.erased_at IS NOT NULL OR wc.consent_withdrawn_at IS NOT NULL
  SET h.erasure = CASE WHEN wc.erased_at IS NOT NULL AND (h.erased_at IS NULL OR wc.erased_at > h.erased_at) THEN coalesce(wc.erasure, 'erased') ELSE h.erasure END,
    h.erased_at = CASE WHEN wc.erased_at IS NOT NULL AND (h.erased_at IS NULL OR wc.erased_at > h.erased_at) THEN wc.erased_at ELSE h.erased_at END,
    h.consent_withdrawn_at = CASE WHEN wc.consent_withdrawn_at IS NOT NULL AND (h.consent_withdrawn_at IS NULL OR wc.consent_withdrawn_at > h.consent_withdrawn_at)
                                  THEN wc.consent_withdrawn_at ELSE h.consent_withdrawn_at END,
    h.last_event_at = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[wc.erased_at, wc.erased_event], [wc.consent_withdrawn_at, wc.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[0],
    h.last_event_id = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[wc.erased_at, wc.erased_event], [wc.consent_withdrawn_at, wc.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[1]
  SET h.state = CASE WHEN h.erased_at IS NOT NULL AND h.erased_at >= h.last_seen
                     THEN h.erasure ELSE 'held' END
}
CALL (w, l) {
  MATCH (l)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
  MERGE (n:Holding {id: w.key + '|' + st.id + '|' + h.category})
    ON CREATE SET n.category = h.category, n.subject_type = h.subject_type,
                  n.first_seen = h.first_seen, n.last_seen = h.last_seen, n.purposes = [],
                  n.last_event_at = h.last_event_at, n.last_event_id = h.last_event_id,
                  n.first_event = h.first_event, n.tombstone = h.tombstone
  MERGE (w)-[:HAS_HOLDING]->(n)
  MERGE (n)-[:IN_STORE]->(st)
  WITH w, h, n, st,
       coalesce(n.tombstone, false) AND NOT coalesce(h.tombstone, false) AS sighted_only_in_h,
       coalesce(h.tombstone, false) AND NOT coalesce(n.tombstone, false) AS sighted_only_in_n
  // A tombstone's times are its deletion's, not a sighting: the sighted side wins outright.
  WITH *, sighted_only_in_h OR (NOT sighted_only_in_n
            AND (h.first_seen < n.first_seen
                 OR (h.first_seen = n.first_seen AND h.first_event < n.first_event))) AS h_first
  SET n.subject_type = CASE WHEN h_first THEN h.subject_type ELSE n.subject_type END,
      n.first_event = CASE WHEN h_first THEN h.first_event ELSE n.first_event END
  SET n.written_event = CASE WHEN h.written_at IS NOT NULL AND (n.written_at IS NULL OR h.written_at > n.written_at OR (h.written_at = n.written_at AND h.written_event > n.written_event)) THEN h.written_event ELSE n.written_event END, n.written_at = CASE WHEN h.written_at IS NOT NULL AND (n.written_at IS NULL OR h.written_at > n.written_at OR (h.written_at = n.written_at AND h.written_event > n.written_event)) THEN h.written_at ELSE n.written_at END,
    n.collected_event = CASE WHEN h.collected_at IS NOT NULL AND (n.collected_at IS NULL OR h.collected_at > n.collected_at OR (h.collected_at = n.collected_at AND h.collected_event > n.collected_event)) THEN h.collected_event ELSE n.collected_event END, n.collected_at = CASE WHEN h.collected_at IS NOT NULL AND (n.collected_at IS NULL OR h.collected_at > n.collected_at OR (h.collected_at = n.collected_at AND h.collected_event > n.collected_event)) THEN h.collected_at ELSE n.collected_at END,
    n.contact_event = CASE WHEN h.contact_at IS NOT NULL AND (n.contact_at IS NULL OR h.contact_at > n.contact_at OR (h.contact_at = n.contact_at AND h.contact_event > n.contact_event)) THEN h.contact_event ELSE n.contact_event END, n.contact_at = CASE WHEN h.contact_at IS NOT NULL AND (n.contact_at IS NULL OR h.contact_at > n.contact_at OR (h.contact_at = n.contact_at AND h.contact_event > n.contact_event)) THEN h.contact_at ELSE n.contact_at END
  SET n.first_seen = CASE WHEN h_first THEN h.first_seen ELSE n.first_seen END,
      n.last_seen = CASE WHEN sighted_only_in_h THEN h.last_seen
                         WHEN sighted_only_in_n THEN n.last_seen
                         WHEN n.tombstone THEN n.first_seen
                         WHEN h.last_seen > n.last_seen THEN h.last_seen ELSE n.last_seen END,
      n.tombstone = CASE WHEN n.tombstone AND h.tombstone THEN true ELSE null END,
      n.purposes = reduce(acc = n.purposes, y IN coalesce(h.purposes, []) | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END),
      n.legal_bases = CASE WHEN h.legal_bases IS NULL THEN n.legal_bases
                           ELSE reduce(acc = coalesce(n.legal_bases, []), y IN h.legal_bases | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END) END,
      n.erasure = CASE WHEN h.erased_at IS NOT NULL
                        AND (n.erased_at IS NULL OR h.erased_at >= n.erased_at)
                       THEN h.erasure ELSE n.erasure END,
      n.erased_at = CASE WHEN h.erased_at IS NOT NULL
                          AND (n.erased_at IS NULL OR h.erased_at > n.erased_at)
                         THEN h.erased_at ELSE n.erased_at END,
      n.consent_withdrawn_at = CASE WHEN h.consent_withdrawn_at IS NOT NULL
                                     AND (n.consent_withdrawn_at IS NULL
                                          OR h.consent_withdrawn_at > n.consent_withdrawn_at)
                                    THEN h.consent_withdrawn_at ELSE n.consent_withdrawn_at END
  FOREACH (_ IN CASE WHEN h.last_event_at > n.last_event_at
                      OR (h.last_event_at = n.last_event_at AND h.last_event_id > n.last_event_id)
                     THEN [1] ELSE [] END |
    SET n.last_event_at = h.last_event_at, n.last_event_id = h.last_event_id)
  DETACH DELETE h
  WITH w, n, st
  // the person's store-wide erasures (their own and the absorbed one's) reach what moved too
  OPTIONAL MATCH (w)-[wc:CLOCK]->(st)
  SET n.erasure = CASE WHEN wc.erased_at IS NOT NULL AND (n.erased_at IS NULL OR wc.erased_at > n.erased_at) THEN coalesce(wc.erasure, 'erased') ELSE n.erasure END,
    n.erased_at = CASE WHEN wc.erased_at IS NOT NULL AND (n.erased_at IS NULL OR wc.erased_at > n.erased_at) THEN wc.erased_at ELSE n.erased_at END,
    n.consent_withdrawn_at = CASE WHEN wc.consent_withdrawn_at IS NOT NULL AND (n.consent_withdrawn_at IS NULL OR wc.consent_withdrawn_at > n.consent_withdrawn_at)
                                  THEN wc.consent_withdrawn_at ELSE n.consent_withdrawn_at END,
    n.last_event_at = (reduce(m = [n.last_event_at, n.last_event_id], p IN [[wc.erased_at, wc.erased_event], [wc.consent_withdrawn_at, wc.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[0],
    n.last_event_id = (reduce(m = [n.last_event_at, n.last_event_id], p IN [[wc.erased_at, wc.erased_event], [wc.consent_withdrawn_at, wc.consent_withdrawn_event]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[1]
  SET n.state = CASE WHEN n.erased_at IS NOT NULL AND n.erased_at >= n.last_seen
                     THEN n.erasure ELSE 'held' END
}
CALL (w, l) {
  MATCH (l)-[:HAS_CONSENT]->(lc:Consent)
  MERGE (wc:Consent {id: w.key + '|' + lc.purpose})
    ON CREATE SET wc.purpose = lc.purpose
  MERGE (w)-[:HAS_CONSENT]->(wc)
  SET wc.changed_at = CASE WHEN (lc.given_at IS NOT NULL AND (wc.given_at IS NULL OR lc.given_at > wc.given_at OR (lc.given_at = wc.given_at AND lc.given_event > wc.given_event))) OR (false AND (wc.withdrawn_at IS NULL OR lc.given_at > wc.withdrawn_at OR (lc.given_at = wc.withdrawn_at AND lc.given_event > wc.withdrawn_event))) THEN datetime() ELSE wc.changed_at END,
    wc.given_event = CASE WHEN lc.given_at IS NOT NULL AND (wc.given_at IS NULL OR lc.given_at > wc.given_at OR (lc.given_at = wc.given_at AND lc.given_event > wc.given_event)) THEN lc.given_event ELSE wc.given_event END, wc.given_at = CASE WHEN lc.given_at IS NOT NULL AND (wc.given_at IS NULL OR lc.given_at > wc.given_at OR (lc.given_at = wc.given_at AND lc.given_event > wc.given_event)) THEN lc.given_at ELSE wc.given_at END,
    wc.withdrawn_event = CASE WHEN false AND (wc.withdrawn_at IS NULL OR lc.given_at > wc.withdrawn_at OR (lc.given_at = wc.withdrawn_at AND lc.given_event > wc.withdrawn_event)) THEN lc.given_event ELSE wc.withdrawn_event END, wc.withdrawn_at = CASE WHEN false AND (wc.withdrawn_at IS NULL OR lc.given_at > wc.withdrawn_at OR (lc.given_at = wc.withdrawn_at AND lc.given_event > wc.withdrawn_event)) THEN lc.given_at ELSE wc.withdrawn_at END
  SET wc.changed_at = CASE WHEN (false AND (wc.given_at IS NULL OR lc.withdrawn_at > wc.given_at OR (lc.withdrawn_at = wc.given_at AND lc.withdrawn_event > wc.given_event))) OR (lc.withdrawn_at IS NOT NULL AND (wc.withdrawn_at IS NULL OR lc.withdrawn_at > wc.withdrawn_at OR (lc.withdrawn_at = wc.withdrawn_at AND lc.withdrawn_event > wc.withdrawn_event))) THEN datetime() ELSE wc.changed_at END,
    wc.given_event = CASE WHEN false AND (wc.given_at IS NULL OR lc.withdrawn_at > wc.given_at OR (lc.withdrawn_at = wc.given_at AND lc.withdrawn_event > wc.given_event)) THEN lc.withdrawn_event ELSE wc.given_event END, wc.given_at = CASE WHEN false AND (wc.given_at IS NULL OR lc.withdrawn_at > wc.given_at OR (lc.withdrawn_at = wc.given_at AND lc.withdrawn_event > wc.given_event)) THEN lc.withdrawn_at ELSE wc.given_at END,
    wc.withdrawn_event = CASE WHEN lc.withdrawn_at IS NOT NULL AND (wc.withdrawn_at IS NULL OR lc.withdrawn_at > wc.withdrawn_at OR (lc.withdrawn_at = wc.withdrawn_at AND lc.withdrawn_event > wc.withdrawn_event)) THEN lc.withdrawn_event ELSE wc.withdrawn_event END, wc.withdrawn_at = CASE WHEN lc.withdrawn_at IS NOT NULL AND (wc.withdrawn_at IS NULL OR lc.withdrawn_at > wc.withdrawn_at OR (lc.withdrawn_at = wc.withdrawn_at AND lc.withdrawn_event > wc.withdrawn_event)) THEN lc.withdrawn_at ELSE wc.withdrawn_at END
  DETACH DELETE lc
}
DETACH DELETE l
