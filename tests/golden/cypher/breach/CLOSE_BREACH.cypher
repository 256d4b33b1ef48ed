
MATCH (b:Breach {id: $id})
SET b.status = 'closed', b.closed_at = $at, b.closed_by = $by, b.closure_note = $note
