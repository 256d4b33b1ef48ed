
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.id})
SET t.status = row.status, t.reason = row.reason, t.closed_by_event = row.closed_by_event,
    t.closed_at = row.closed_at, t.evaluated_at = $now
