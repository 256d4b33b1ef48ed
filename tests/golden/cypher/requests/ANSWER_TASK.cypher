
MATCH (r:Request)-[:HAS_TASK]->(t:RequestTask {id: $task})
SET t.status = 'done', t.answered_at = $at, t.answered_by = $by, t.answer_evidence = $evidence,
    t.closed_at = $at, r.changed_at = datetime()
