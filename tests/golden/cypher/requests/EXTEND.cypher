
MATCH (r:Request {id: $id})
SET r.original_deadline = coalesce(r.original_deadline, r.deadline), r.deadline = $deadline,
    r.extension_months = $months, r.extension_reason = $reason, r.extended_at = $extended_at,
    r.changed_at = datetime()
