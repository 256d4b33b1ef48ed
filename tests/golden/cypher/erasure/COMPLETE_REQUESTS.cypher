
MATCH (r:ErasureRequest {status: 'open'})
WHERE ($id IS NULL OR r.id = $id)
  AND NOT EXISTS { (r)-[:HAS_TASK]->(:ErasureTask {status: 'outstanding'}) }
SET r.status = 'complete', r.completed_at = $now
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
