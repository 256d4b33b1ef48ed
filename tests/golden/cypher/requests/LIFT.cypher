
MATCH (r:Request {id: $id})
SET r.in_force = false, r.lifted_at = $at, r.lift_reason = $reason, r.changed_at = datetime()
