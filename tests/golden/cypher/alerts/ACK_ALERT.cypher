
MATCH (a:Alert {id: $id}) WHERE a.status IN ['open', 'reopened']
SET a.status = 'acknowledged', a.acknowledged_at = datetime(), a.acknowledged_by = $by
RETURN a.id AS id
