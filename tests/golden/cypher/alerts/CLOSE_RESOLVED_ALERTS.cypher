
MATCH (a:Alert {kind: $kind}) WHERE a.status <> 'closed' AND NOT a.id IN $active
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = $reason
RETURN a.id AS id
