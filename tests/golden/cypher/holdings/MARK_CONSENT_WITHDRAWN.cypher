
UNWIND $rows AS row
WITH row, row.at AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
FOREACH (_ IN CASE WHEN size(row.categories) = 0 THEN [1] ELSE [] END |
  MERGE (s)-[c:CLOCK]->(st)
  SET c.consent_withdrawn_event = CASE WHEN 'consent_withdrawn' IN ['consent_withdrawn'] AND (c.consent_withdrawn_at IS NULL OR at > c.consent_withdrawn_at OR (at = c.consent_withdrawn_at AND row.event_id > c.consent_withdrawn_event)) THEN row.event_id ELSE c.consent_withdrawn_event END, c.consent_withdrawn_at = CASE WHEN 'consent_withdrawn' IN ['consent_withdrawn'] AND (c.consent_withdrawn_at IS NULL OR at > c.consent_withdrawn_at OR (at = c.consent_withdrawn_at AND row.event_id > c.consent_withdrawn_event)) THEN at ELSE c.consent_withdrawn_at END)
FOREACH (category IN row.categories |
  MERGE (h:Holding {id: s.key + '|' + st.id + '|' + category})
    ON CREATE SET h.category = category, h.subject_type = row.subject_type, h.first_seen = at,
                  h.last_seen = at, h.purposes = [], h.last_event_at = at, h.state = 'held',
                  h.last_event_id = row.event_id, h.first_event = row.event_id, h.tombstone = true
  MERGE (s)-[:HAS_HOLDING]->(h)
  MERGE (h)-[:IN_STORE]->(st)
  // never sighted: the earliest deletion dates it, whichever deletion came first
  FOREACH (_ IN CASE WHEN h.tombstone AND (at < h.first_seen
                          OR (at = h.first_seen AND row.event_id < h.first_event))
                     THEN [1] ELSE [] END |
    SET h.first_seen = at, h.last_seen = at, h.first_event = row.event_id,
        h.subject_type = row.subject_type))
WITH s, st, row, at
// From the person's holdings by id prefix (an index range seek), never from the store: the
// planner otherwise expands every holding of the store for each row.
MATCH (h:Holding) WHERE h.id STARTS WITH s.key + '|' + st.id + '|'
  AND (s)-[:HAS_HOLDING]->(h) AND (h)-[:IN_STORE]->(st)
  AND (size(row.categories) = 0
       OR any(c IN row.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))

SET h.consent_withdrawn_at = CASE
      WHEN h.consent_withdrawn_at IS NULL OR at > h.consent_withdrawn_at THEN at
      ELSE h.consent_withdrawn_at END,
    h.last_event_at = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[at, row.event_id]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[0],
    h.last_event_id = (reduce(m = [h.last_event_at, h.last_event_id], p IN [[at, row.event_id]] | CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END))[1]
