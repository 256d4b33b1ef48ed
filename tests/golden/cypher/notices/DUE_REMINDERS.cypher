
MATCH (r:Request {status: 'open'})-[:HAS_TASK]->(t:RequestTask {status: 'outstanding'})
WHERE r.deadline > $now AND r.deadline <= $until
  AND t.notice_sent_at IS NOT NULL AND t.reminded_at IS NULL
RETURN r.id AS request_id, r.kind AS request_kind, coalesce(r.purposes, []) AS purposes,
       r.deadline AS deadline, t.id AS task, t.notice_id AS notice_id,
       t.store AS store, t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY request_id, store
