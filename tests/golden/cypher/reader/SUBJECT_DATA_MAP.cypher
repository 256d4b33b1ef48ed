
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)
      -[:IN_STORE]->(st:Store)
WITH s, st, h ORDER BY h.category
WITH s, st,
     collect(CASE WHEN h.state = 'held' THEN h.category END) AS held,
     collect(CASE WHEN h.state <> 'held' THEN h.category END) AS erased,
     min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen,
     max(h.erased_at) AS erased_at,
     min(CASE WHEN h.state = 'held' THEN h.expires_at END) AS expires_at,
     collect(CASE WHEN h.state = 'held' THEN {category: h.category,
             expires_at: h.expires_at.epochMillis, rule: h.retention_rule,
             trigger: h.retention_trigger, moment: h.retention_moment, event: h.expiry_event,
             legal_rule: h.legal_rule, legal_until: h.legal_until.epochMillis,
             action: h.expiry_action, archive_until: h.archive_until.epochMillis}
             END) AS retention
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor_id,
       p.name AS processor, c.code AS country, st.declared AS declared, s.types AS subject_types,
       held, erased, first_seen, last_seen, erased_at, expires_at.epochMillis AS expires_at, retention
ORDER BY store
