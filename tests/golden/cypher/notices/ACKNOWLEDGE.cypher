
MATCH (t:RequestTask {id: $task})
SET t.acknowledged_at = coalesce(t.acknowledged_at, $now),
    t.acknowledged_by = coalesce(t.acknowledged_by, $by)
RETURN t.acknowledged_at AS acknowledged_at
