
MATCH (:ErasureRequest {id: $id})-[:HAS_TASK]->(t:ErasureTask)
WHERE t.notice_id = $task OR t.store = $task
RETURN t.id AS task, t.ack_token_hash AS token_hash
