
MATCH (r:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.id = $task OR t.notice_id = $task OR t.store = $task
RETURN r.kind AS kind, t.id AS task, t.status AS status
