
MATCH (i:Identifier {key: $key})
SET i.locked = true
REMOVE i.locked
WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
CREATE (hold:Hold {id: $id, scope: 'person', reason: $reason, stores: $stores,
                   categories: $categories, placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
CREATE (hold)-[:HOLDS]->(s)
RETURN hold.id AS id, 'person' AS scope, s.key AS subject, null AS target
