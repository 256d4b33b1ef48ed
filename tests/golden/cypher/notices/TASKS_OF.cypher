
MATCH (r:ErasureRequest {id: $id})-[:HAS_TASK]->(t:ErasureTask)
WHERE t.status = 'outstanding'
RETURN r.id AS request_id, r.deadline AS deadline, t.id AS task, t.store AS store,
       t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY store
