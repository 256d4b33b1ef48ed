
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.task})
SET t.reminded_at = row.at, t.reminder_error = row.error
