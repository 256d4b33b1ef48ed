
MATCH (r:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.status = 'outstanding'
RETURN r.id AS request_id, r.kind AS request_kind, coalesce(r.purposes, []) AS purposes,
       r.deadline AS deadline, t.id AS task, t.store AS store,
       t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY store
