
MATCH (b:Breach {id: $id})
SET b.people_notified_at = $at, b.people_notified_by = $by, b.people_notified_count = $count
