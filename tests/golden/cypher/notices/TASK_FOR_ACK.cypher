
MATCH (:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.notice_id = $task OR t.store = $task
RETURN t.id AS task, t.ack_token_hash AS token_hash
