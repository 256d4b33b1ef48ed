
MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels)
WITH n LIMIT $limit DELETE n RETURN count(n) AS deleted
