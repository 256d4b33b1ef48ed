
UNWIND $keys AS k
MERGE (i:Identifier {key: k})
SET i.locked = true
REMOVE i.locked
WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
RETURN collect([i.key, s.key]) AS links
