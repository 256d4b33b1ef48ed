
MATCH (r:Request {status: 'complete'})
WHERE ($id IS NULL OR r.id = $id)
  AND EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) }
SET r.status = 'open', r.reopened_at = $now, r.completed_at = null, r.changed_at = datetime()
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
