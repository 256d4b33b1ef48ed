
MATCH (r:Request {status: 'open'})
WHERE ($id IS NULL OR r.id = $id)
  AND NOT EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) }
SET r.status = 'complete', r.completed_at = $now, r.changed_at = datetime()
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
