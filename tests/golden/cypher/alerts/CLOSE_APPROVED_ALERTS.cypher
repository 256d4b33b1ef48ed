
MATCH (a:Alert {kind: 'unapproved_transfer'}) WHERE a.status <> 'closed' AND NOT a.id IN $unapproved
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = 'the catalog now approves this flow'
RETURN a.id AS id
