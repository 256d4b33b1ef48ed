
MATCH (r:Request {id: $id})
RETURN r.kind AS kind, coalesce(r.in_force, false) AS in_force, r.status AS status,
       COUNT { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) } AS outstanding
