
MATCH (i:Identifier {key: $key})
SET i.locked = true
REMOVE i.locked
WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
CREATE (hold:Hold {id: $id, reason: $reason, stores: $stores, categories: $categories,
                   placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
CREATE (hold)-[:HOLDS]->(s)
RETURN hold.id AS id, s.key AS subject
