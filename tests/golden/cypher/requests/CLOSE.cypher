
MATCH (r:Request {id: $id})
SET r.closure_note = $note, r.closed_at = $at, r.status = 'complete',
    r.completed_at = coalesce(r.completed_at, $at), r.changed_at = datetime()
