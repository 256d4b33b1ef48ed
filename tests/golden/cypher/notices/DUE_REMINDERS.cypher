
MATCH (r:ErasureRequest {status: 'open'})-[:HAS_TASK]->(t:ErasureTask {status: 'outstanding'})
WHERE r.deadline > $now AND r.deadline <= $until
  AND t.notice_sent_at IS NOT NULL AND t.reminded_at IS NULL
RETURN r.id AS request_id, r.deadline AS deadline, t.id AS task, t.notice_id AS notice_id,
       t.store AS store, t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY request_id, store
