
MATCH (s:Subject) WHERE s.key > $after
RETURN s.key AS key ORDER BY key LIMIT $limit
