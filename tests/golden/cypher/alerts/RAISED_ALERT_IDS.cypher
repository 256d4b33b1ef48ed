
MATCH (a:Alert) WHERE a.status IN ['open', 'acknowledged']
RETURN a.id AS id
