
MATCH (r:Request {status: 'open'})-[:FOR]->(s:Subject)
WHERE r.deadline < $now
RETURN r.id AS id, r.kind AS kind, s.key AS subject, r.received_at AS received_at,
       r.deadline AS deadline, r.extension_months AS extension_months,
       r.extension_reason AS extension_reason,
       [(r)-[:HAS_TASK]->(t:RequestTask {status: 'outstanding'}) | t.store] AS outstanding
ORDER BY deadline, id
