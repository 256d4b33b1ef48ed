
MATCH (a:Alert) WHERE a.id IN $ids AND a.status IN ['open', 'acknowledged']
RETURN a.id AS id
