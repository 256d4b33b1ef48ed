
MATCH (a:Alert {kind: 'invariant_broken'})
WHERE a.status <> 'closed' AND a.id STARTS WITH 'invariant-stays_in_eea-' AND NOT a.id IN $broken
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = 'the catalog keeps this invariant again'
RETURN a.id AS id
